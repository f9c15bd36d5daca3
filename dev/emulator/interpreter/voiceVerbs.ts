/**
 * The voice TwiML verbs as Twilio acts them out (https://www.twilio.com/docs/voice/twiml):
 * one table, `VERBS`, of every verb and the function that acts it out, each given the call it
 * runs in. Where Twilio's documentation is silent, dev/emulator/README.md says what was chosen.
 */
import {
  CallFailure,
  type CallFlowOptions,
  type Document,
  type Navigate,
  type OutgoingSms,
  type Step,
  type TranscriptLine,
} from './callTypes';
import { listenToGather, listenToRecord } from './liveCaller';
import { accountUrl, API_VERSION, MAX_CALL_SECONDS, newSid, rfc2822 } from './twilioApi';
import { isElement, parseTwiml, textOf, TwimlError, type TwimlElement } from './twiml';
import { httpMethod, type WebhookRequest, type WebhookResult } from './webhook';

/** What a verb sees of the call it runs in. */
export interface VerbContext {
  readonly options: CallFlowOptions;
  /** The callee's scripted key presses and words, one entry per <Gather> or <Record>. */
  readonly digits: string[];
  readonly speech: string[];
  /** The caller's inputs in order (keys, `say:words`, `silence`), when the script gives them so. */
  readonly inputs: string[] | undefined;
  answered: boolean;
  /** Simulated seconds so far. */
  seconds: number;
  /** <Dial>s run so far. */
  dials: number;
  say(line: TranscriptLine): void;
  request(request: WebhookRequest): Promise<WebhookResult>;
  sendLater(request: WebhookRequest): void;
}

/** Twilio repeats loop="0" until the caller hangs up, at most 1,000 times. */
const LOOP_FOREVER = 1000;
const DEFAULT_RECORD_FINISH_KEYS = '1234567890*#';
const wordsSeconds = (text: string) => Math.max(1, Math.ceil(text.split(/\s+/).filter(Boolean).length / 2.5));
const CONTINUE: Step = { then: 'continue' };

type VerbHandler = (call: VerbContext, verb: TwimlElement, document: Document) => Step | Promise<Step>;

/**
 * Every verb of Twilio's voice TwiML, and what the emulator does with it. A name that is not
 * here is not a verb: the document fails with 12200 before any of it runs. To act out a verb
 * that is only reported today, give it its function here.
 */
const VERBS = {
  Say: mediaVerb,
  Play: mediaVerb,
  Pause: mediaVerb,
  Gather: gather,
  Dial: dial,
  Record: record,
  Redirect: redirect,
  Hangup: hangup,
  Reject: reject,
  Sms: sms,
  Message: sms,
  // Valid TwiML the emulator does not act out: each is reported in the transcript, then skipped.
  Enqueue: notEmulated,
  Leave: notEmulated,
  Connect: notEmulated,
  Start: notEmulated,
  Stop: notEmulated,
  Pay: notEmulated,
  Refer: notEmulated,
  Queue: notEmulated,
  Echo: notEmulated,
  Prompt: notEmulated,
} satisfies Record<string, VerbHandler>;

export type VoiceVerb = keyof typeof VERBS;

/** Whether `name` is a verb of Twilio's voice TwiML (acted out or not). */
export const isVerb = (name: string): name is VoiceVerb => Object.hasOwn(VERBS, name);

export async function executeVerb(call: VerbContext, verb: TwimlElement, document: Document): Promise<Step> {
  if (verb.name !== 'Reject') call.answered = true;
  const act: VerbHandler = isVerb(verb.name) ? VERBS[verb.name] : notEmulated;
  return act(call, verb, document);
}

function mediaVerb(call: VerbContext, verb: TwimlElement): Step {
  media(call, verb, 0);
  return CONTINUE;
}

function hangup(call: VerbContext): Step {
  call.say({ verb: 'Hangup', text: '' });
  return { then: 'end', endedBy: 'hangup' };
}

function notEmulated(call: VerbContext, verb: TwimlElement): Step {
  call.say({ verb: verb.name, text: 'not emulated; skipped', notEmulated: true });
  return CONTINUE;
}

/** An absolute URL for a verb's action: relative to the document, or the document itself when omitted. */
function resolveUrl(url: string | undefined, document: Document, verb: string): string {
  const target = url?.trim() || document.url;
  if (!target)
    throw new CallFailure(11100, `Invalid URL: <${verb}> has no action and inline TwiML has no URL to fall back on`);
  try {
    return new URL(target, document.url).toString();
  } catch {
    throw new CallFailure(11100, `Invalid URL format in <${verb}>: ${target}`);
  }
}

function navigate(call: VerbContext, verb: TwimlElement, text: string, to: Navigate): Step {
  call.say({ verb: verb.name, text, next: `${to.method} ${to.url}` });
  return { then: 'navigate', to };
}

const actionOf = (verb: TwimlElement, document: Document, params?: Record<string, string>): Navigate => ({
  url: resolveUrl(verb.attributes.action, document, verb.name),
  method: httpMethod(verb.attributes.method),
  ...(params ? { params } : {}),
});

function loops(verb: TwimlElement): number {
  const loop = Number(verb.attributes.loop ?? 1);
  if (!Number.isInteger(loop) || loop < 0) return 1;
  return loop === 0 ? LOOP_FOREVER : loop;
}

function media(call: VerbContext, verb: TwimlElement, depth: number) {
  const times = loops(verb);
  const repeat =
    times === LOOP_FOREVER ? ` (×${LOOP_FOREVER}: loop="0" repeats until hangup)` : times > 1 ? ` (×${times})` : '';
  const line = (text: string) => call.say({ verb: verb.name, text, ...(depth ? { depth } : {}) });
  if (verb.name === 'Say') {
    const text = textOf(verb);
    call.seconds += wordsSeconds(text) * times;
    line(`${text}${repeat}`);
  } else if (verb.name === 'Play') {
    const url = textOf(verb);
    call.seconds += url ? 5 * times : 1;
    line(url ? `${url}${repeat}` : `digits ${verb.attributes.digits ?? ''}`.trim());
  } else if (verb.name === 'Pause') {
    const length = Number(verb.attributes.length ?? 1);
    call.seconds += Number.isFinite(length) ? length : 1;
    line(`${verb.attributes.length ?? 1} s`);
  } else {
    line(`not emulated inside <Gather>; skipped`);
  }
}

/**
 * Keys as Twilio collects them: up to the finish key (not included) or numDigits keys,
 * whichever comes first; keys after that are not part of this Gather.
 */
function collectDigits(
  keys: string,
  finishOnKey: string,
  numDigits: number | undefined,
): { digits: string; finishedOnKey?: string } {
  let digits = '';
  for (const key of keys) {
    if (finishOnKey && key === finishOnKey) return { digits, finishedOnKey: key };
    digits += key;
    if (numDigits !== undefined && digits.length >= numDigits) break;
  }
  return { digits };
}

function gatherInput(
  call: VerbContext,
  verb: TwimlElement,
): { params: Record<string, string>; heard: string } | undefined {
  const attrs = verb.attributes;
  const input = (attrs.input ?? 'dtmf').toLowerCase().split(/\s+/);
  if (call.inputs) {
    // One ordered list: this gather takes the next input, whatever it is; one it does not listen for is silence to it.
    const next = call.inputs.shift();
    if (next === undefined || next === 'silence') return undefined;
    if (next.startsWith('say:')) return input.includes('speech') ? spoken(next.slice('say:'.length)) : undefined;
    return input.includes('dtmf') ? pressed(next, attrs) : undefined;
  }
  if (input.includes('dtmf') && call.digits.length > 0) return pressed(call.digits.shift()!, attrs);
  if (input.includes('speech') && call.speech.length > 0) return spoken(call.speech.shift()!);
  return undefined;
}

const spoken = (speech: string) => ({
  params: { SpeechResult: speech, Confidence: '0.92' },
  heard: `said "${speech}"`,
});

function pressed(
  keys: string,
  attrs: Record<string, string | undefined>,
): { params: Record<string, string>; heard: string } | undefined {
  const numDigits = Number(attrs.numDigits);
  const collected = collectDigits(
    keys,
    attrs.finishOnKey ?? '#',
    Number.isInteger(numDigits) && numDigits > 0 ? numDigits : undefined,
  );
  const finished = collected.finishedOnKey ? ` then ${collected.finishedOnKey}` : '';
  if (collected.digits === '') return undefined;
  return {
    params: {
      Digits: collected.digits,
      ...(collected.finishedOnKey ? { FinishedOnKey: collected.finishedOnKey } : {}),
    },
    heard: `pressed ${collected.digits}${finished}`,
  };
}

async function gather(call: VerbContext, verb: TwimlElement, document: Document): Promise<Step> {
  const before = call.seconds;
  for (const child of verb.children.filter(isElement)) media(call, child, 1);
  const live = call.options.caller ? await gatherLive(call, verb, call.seconds - before) : undefined;
  if (live === 'hangup') {
    call.say({ verb: 'Gather', text: 'the caller hangs up' });
    return { then: 'end', endedBy: 'hangup' };
  }
  const got = live ? live.got : gatherInput(call, verb);
  if (got) {
    call.seconds += live ? live.seconds : 2;
    return navigate(call, verb, got.heard, actionOf(verb, document, got.params));
  }
  // No input, or only the finish key: Twilio makes no request and runs the next verb.
  call.seconds += live ? live.seconds : Number(verb.attributes.timeout ?? 5) || 5;
  if (verb.attributes.actionOnEmptyResult === 'true') return navigate(call, verb, 'no input', actionOf(verb, document));
  call.say({ verb: 'Gather', text: 'no input; continues' });
  return CONTINUE;
}

/** A Gather answered by a live caller: it waits in real time for the caller's keys or words. */
async function gatherLive(
  call: VerbContext,
  verb: TwimlElement,
  promptSeconds: number,
): Promise<{ got: ReturnType<typeof gatherInput>; seconds: number } | 'hangup'> {
  const attrs = verb.attributes;
  const numDigits = Number(attrs.numDigits);
  const { heard, seconds } = await listenToGather(
    call.options.caller!,
    {
      input: (attrs.input ?? 'dtmf').toLowerCase().split(/\s+/),
      ...(Number.isInteger(numDigits) && numDigits > 0 ? { numDigits } : {}),
      finishOnKey: attrs.finishOnKey ?? '#',
    },
    { timeout: Number(attrs.timeout ?? 5) || 5, promptSeconds },
    liveSignal(call),
  );
  if ('hangup' in heard) return 'hangup';
  const got = 'keys' in heard ? pressed(heard.keys, attrs) : 'speech' in heard ? spoken(heard.speech) : undefined;
  return { got, seconds };
}

/** A live wait ends when the emulator stops or the call is hung up or redirected through the REST API. */
const liveSignal = (call: VerbContext) => {
  const signals = [call.options.signal, call.options.control?.signal].filter((signal) => signal !== undefined);
  return signals.length ? AbortSignal.any(signals) : undefined;
};

function redirect(call: VerbContext, verb: TwimlElement, document: Document): Step {
  const to = { url: resolveUrl(textOf(verb), document, verb.name), method: httpMethod(verb.attributes.method) };
  return navigate(call, verb, to.url, to);
}

function reject(call: VerbContext, verb: TwimlElement): Step {
  const reason = verb.attributes.reason === 'busy' ? 'busy' : 'rejected';
  call.say({ verb: 'Reject', text: `reason ${reason}` });
  if (call.answered) return { then: 'end', endedBy: 'hangup' };
  return { then: 'end', endedBy: 'reject', status: reason === 'busy' ? 'busy' : 'no-answer' };
}

// Recordings ------------------------------------------------------------------------------

/** A resource of the call's account under the API base URL: RecordingUrl, TranscriptionUrl. */
function accountResource(call: VerbContext, path: string): string {
  return `${accountUrl(call.options.call.AccountSid ?? '', call.options.apiBaseUrl)}/${path}`;
}

/** Makes a recording, and queues its recordingStatusCallback (Twilio calls it once the recording is available). */
function makeRecording(
  call: VerbContext,
  verb: TwimlElement,
  document: Document,
  seconds: number,
  source: 'RecordVerb' | 'DialVerb',
) {
  const sid = newSid('RE');
  const url = accountResource(call, `Recordings/${sid}`);
  const startTime = new Date();
  call.options.onRecording?.({ sid, seconds, source, startTime });
  const callback = verb.attributes.recordingStatusCallback;
  const events = (verb.attributes.recordingStatusCallbackEvent ?? 'completed').split(/[\s,]+/);
  if (callback && events.includes('completed')) {
    call.sendLater({
      url: resolveUrl(callback, document, verb.name),
      method: httpMethod(verb.attributes.recordingStatusCallbackMethod),
      params: {
        AccountSid: call.options.call.AccountSid ?? '',
        CallSid: call.options.call.CallSid ?? '',
        RecordingSid: sid,
        RecordingUrl: url,
        RecordingStatus: 'completed',
        RecordingDuration: String(seconds),
        RecordingChannels: '1',
        RecordingStartTime: rfc2822(startTime),
        RecordingSource: source,
        ErrorCode: '0',
      },
    });
  }
  return { sid, url };
}

function transcription(
  call: VerbContext,
  verb: TwimlElement,
  document: Document,
  recording: { sid: string; url: string },
) {
  const callback = verb.attributes.transcribeCallback;
  if (!callback || verb.attributes.transcribe === 'false') return;
  const sid = newSid('TR');
  call.sendLater({
    url: resolveUrl(callback, document, verb.name),
    method: 'POST',
    params: {
      ...call.options.call,
      TranscriptionSid: sid,
      TranscriptionText: call.options.script?.transcription ?? 'Emulated transcription.',
      TranscriptionStatus: 'completed',
      TranscriptionUrl: accountResource(call, `Transcriptions/${sid}`),
      RecordingSid: recording.sid,
      RecordingUrl: recording.url,
      CallStatus: 'completed',
    },
  });
}

/** The key that ends a <Record>: the first scripted key in finishOnKey; without one the caller hangs up. */
function recordEnd(call: VerbContext, finishOnKey: string): string {
  if (call.inputs) {
    // In the ordered list, silence (or words) ends the recording by its timeout: no key.
    const next = call.inputs.shift();
    if (next === undefined) return 'hangup';
    if (next === 'silence' || next.startsWith('say:')) return '';
    return [...next].find((key) => finishOnKey.includes(key)) ?? 'hangup';
  }
  const keys = call.digits.shift() ?? '';
  return [...keys].find((key) => finishOnKey.includes(key)) ?? 'hangup';
}

async function record(call: VerbContext, verb: TwimlElement, document: Document): Promise<Step> {
  const attrs = verb.attributes;
  const maxLength = Number(attrs.maxLength ?? 3600) || 3600;
  const finishOnKey = attrs.finishOnKey ?? DEFAULT_RECORD_FINISH_KEYS;
  const { ended, seconds } = call.options.caller
    ? await listenToRecord(call.options.caller, finishOnKey, maxLength, liveSignal(call))
    : { ended: recordEnd(call, finishOnKey), seconds: Math.min(call.options.script?.recordingSeconds ?? 5, maxLength) };
  call.seconds += seconds;
  const recording = makeRecording(call, verb, document, seconds, 'RecordVerb');
  transcription(call, verb, document, recording);
  // Without an action Twilio requests the current document again, as here.
  const to = actionOf(verb, document, {
    RecordingUrl: recording.url,
    RecordingSid: recording.sid,
    RecordingDuration: String(seconds),
    ...(ended ? { Digits: ended } : {}),
  });
  const beep = attrs.playBeep === 'false' ? '' : 'beep, ';
  const how = ended === 'hangup' ? 'the caller hangs up' : ended ? `ended with ${ended}` : 'ended by silence';
  navigate(call, verb, `${beep}recorded ${seconds} s, ${how}`, to);
  // After a hangup Twilio still requests the action, but the call is over: its TwiML is not run.
  return ended === 'hangup' ? { then: 'navigate', to, hangupAfter: true } : { then: 'navigate', to };
}

// Dial ------------------------------------------------------------------------------------

const DIAL_EVENTS: Record<string, string> = { initiated: 'initiated', ringing: 'ringing', answered: 'in-progress' };

/** What every request about a dialed (child) leg says of it. */
const childLeg = (call: VerbContext, leg: { sid: string; from: string; to: string }) => ({
  AccountSid: call.options.call.AccountSid ?? '',
  ApiVersion: API_VERSION,
  CallSid: leg.sid,
  ParentCallSid: call.options.call.CallSid ?? '',
  Direction: 'outbound-dial',
  From: leg.from,
  To: leg.to,
});

/** The child leg's progress callbacks, from <Number statusCallback statusCallbackEvent>. */
function childLegCallbacks(
  call: VerbContext,
  noun: TwimlElement,
  document: Document,
  leg: { sid: string; from: string; to: string; outcome: string; seconds: number },
) {
  const callback = noun.attributes.statusCallback;
  if (!callback) return;
  const wanted = (noun.attributes.statusCallbackEvent ?? 'completed').split(/[\s,]+/);
  const connected = leg.outcome === 'completed' || leg.outcome === 'answered';
  const statuses = ['initiated', 'ringing', ...(connected ? ['answered'] : [])]
    .filter((event) => wanted.includes(event))
    .map((event) => DIAL_EVENTS[event]!);
  if (wanted.includes('completed')) statuses.push(connected ? 'completed' : leg.outcome);
  statuses.forEach((status, sequence) => {
    call.sendLater({
      url: resolveUrl(callback, document, 'Number'),
      method: httpMethod(noun.attributes.statusCallbackMethod),
      params: {
        ...childLeg(call, leg),
        Caller: leg.from,
        Called: leg.to,
        CallStatus: status,
        CallbackSource: 'call-progress-events',
        SequenceNumber: String(sequence),
        Timestamp: rfc2822(new Date()),
        ...(status === statuses.at(-1) && wanted.includes('completed') ? { CallDuration: String(leg.seconds) } : {}),
      },
    });
  });
}

/** How long the dialed party talks, cut short by timeLimit or by the caller pressing * when hangupOnStar is set. */
function talkSeconds(call: VerbContext, verb: TwimlElement): { seconds: number; how: string } {
  const limit = Number(verb.attributes.timeLimit ?? MAX_CALL_SECONDS) || MAX_CALL_SECONDS;
  if (verb.attributes.hangupOnStar === 'true' && call.digits[0]?.startsWith('*')) {
    call.digits.shift();
    return { seconds: Math.min(1, limit), how: ', the caller pressed * to hang up the dialed party' };
  }
  const talk = 5;
  return talk > limit ? { seconds: limit, how: `, cut at timeLimit ${limit} s` } : { seconds: talk, how: '' };
}

/**
 * A noun's `url`: TwiML for the answering party, run before the parties are connected (a
 * whisper). Its Say, Play and Pause are shown one level in; other verbs are listed, not acted.
 */
async function whisper(
  call: VerbContext,
  noun: TwimlElement,
  document: Document,
  leg: { sid: string; from: string; to: string },
): Promise<void> {
  const url = resolveUrl(noun.attributes.url, document, noun.name);
  const result = await call.request({
    url,
    method: httpMethod(noun.attributes.method),
    params: { ...childLeg(call, leg), CallStatus: 'in-progress' },
  });
  let verbs: TwimlElement[];
  try {
    if (result.error || result.status === undefined) throw new TwimlError(result.error ?? 'no answer');
    verbs = parseTwiml(result.body);
  } catch (error) {
    call.say({
      verb: noun.name,
      text: `whisper ${url} failed (${error instanceof Error ? error.message : String(error)}); connected without it`,
      depth: 1,
    });
    return;
  }
  for (const verb of verbs) {
    if (['Say', 'Play', 'Pause'].includes(verb.name)) media(call, verb, 1);
    else call.say({ verb: verb.name, text: 'in a whisper: not emulated; skipped', depth: 1, notEmulated: true });
  }
}

async function dial(call: VerbContext, verb: TwimlElement, document: Document): Promise<Step> {
  call.dials += 1;
  const attrs = verb.attributes;
  const nouns = verb.children.filter(isElement);
  const targets = nouns.length
    ? nouns.map((noun) => `${noun.name === 'Number' ? '' : `${noun.name} `}${textOf(noun)}`).join(', ')
    : textOf(verb);
  const outcome = call.options.script?.dialOutcome ?? 'completed';
  const connected = outcome === 'completed' || outcome === 'answered';
  const talk = connected ? talkSeconds(call, verb) : { seconds: 0, how: '' };
  call.seconds += connected ? talk.seconds + 2 : outcome === 'no-answer' ? Number(attrs.timeout ?? 30) || 30 : 2;
  const from = attrs.callerId ?? call.options.call.From ?? '';
  const leg = {
    sid: newSid('CA'),
    from,
    to: nouns[0] ? textOf(nouns[0]) : textOf(verb),
    outcome,
    seconds: talk.seconds,
  };
  const params: Record<string, string> = { DialCallStatus: outcome, DialBridged: String(connected) };
  if (outcome !== 'failed') params.DialCallSid = leg.sid;
  if (connected) params.DialCallDuration = String(talk.seconds);
  if (connected && attrs.record && attrs.record !== 'do-not-record') {
    const recording = makeRecording(call, verb, document, talk.seconds, 'DialVerb');
    Object.assign(params, {
      RecordingUrl: recording.url,
      RecordingSid: recording.sid,
      RecordingDuration: String(talk.seconds),
    });
  }
  if (nouns[0]?.name === 'Number') childLegCallbacks(call, nouns[0], document, leg);
  const text = `${targets}${attrs.callerId ? ` (caller ID ${attrs.callerId})` : ''}: ${outcome}${talk.how}`;
  let step: Step = CONTINUE;
  if (attrs.action === undefined) call.say({ verb: 'Dial', text });
  else step = navigate(call, verb, text, actionOf(verb, document, params));
  const whispered = connected ? nouns.find((noun) => noun.attributes.url) : undefined;
  if (whispered) await whisper(call, whispered, document, leg);
  return step;
}

// Messages during a call ----------------------------------------------------------------

/** By default an <Sms> goes to the other party of the call, from the Twilio side of it. */
function smsParties(call: VerbContext): { to: string; from: string } {
  const { From = '', To = '', Direction = '' } = call.options.call;
  return Direction.startsWith('outbound') ? { to: To, from: From } : { to: From, from: To };
}

async function sms(call: VerbContext, verb: TwimlElement, document: Document): Promise<Step> {
  const attrs = verb.attributes;
  const parties = smsParties(call);
  const message: OutgoingSms = {
    to: attrs.to ?? parties.to,
    from: attrs.from ?? parties.from,
    body: textOf(verb),
    ...(attrs.statusCallback ? { statusCallback: resolveUrl(attrs.statusCallback, document, verb.name) } : {}),
  };
  const sid = (await call.options.sendSms?.(message)) ?? newSid('SM');
  const text = `to ${message.to}: ${message.body}`;
  if (attrs.action === undefined) {
    call.say({ verb: verb.name, text });
    return CONTINUE;
  }
  return navigate(call, verb, text, actionOf(verb, document, { SmsSid: sid, SmsStatus: 'sending' }));
}
