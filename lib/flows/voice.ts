/**
 * The voice flow as TwiML. A call starts at the entry step (after the blocklist and business
 * hours); each step's actions become verbs until one waits for the caller (gather, dial,
 * record) or leaves the step (redirect, hangup, reject). Those post back to our own signed
 * routes with the step, the action's index and the call's turn in the query string: Twilio
 * signs the whole URL, so a caller cannot forge where a call goes next.
 */
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import { ROUTE_PREFIX, ROUTES } from '../config/routes';
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';
import type { FlowFacts } from '../records/model';
import { own } from '../http/own';
import { xmlSafe } from '../twilio/twiml';
import { endsTwiml } from './check';
import { isOpen } from './hours';
import { fill, MAX_SMS_LENGTH, requestVariables, type Variables } from './text';
import type { FlowFile, VoiceAction, VoiceFlow } from './schema';
import { DEFAULT_FLOWS } from './schema';

export const FLOW_KINDS = ['step', 'gather', 'dial', 'record', 'recording', 'whisper'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

/** What the call hears next, and what the record keeps of this turn. */
export interface VoiceAnswer {
  twiml: string;
  facts: FlowFacts;
}

type Gather = Extract<VoiceAction, { gather: unknown }>['gather'];
type Dial = Extract<VoiceAction, { dial: unknown }>['dial'];

const STEP_GONE = 'Sorry, that option is no longer available.';

/** `/api/twilio/flow/gather?step=menu&at=1&turn=2`: relative, so Twilio resolves it against the URL it is calling. */
export function callbackPath(kind: FlowKind, query: Record<string, string | number>): string {
  const search = new URLSearchParams(
    Object.entries(query).map(([name, value]): [string, string] => [name, String(value)]),
  );
  return `/${ROUTE_PREFIX}/${ROUTES.flowWebhook.replace('{kind}', kind)}?${search}`;
}

export const isBlocked = (flows: FlowFile, from: string | undefined): boolean =>
  from !== undefined &&
  !!flows.blocklist &&
  (flows.blocklist.numbers.includes(from) || flows.blocklist.prefixes.some((prefix) => from.startsWith(prefix)));

/** Writes steps as TwiML for one request of a call. */
class CallTwiml {
  readonly response = new VoiceResponse();

  constructor(
    private readonly voice: VoiceFlow,
    private readonly variables: Variables,
    /** The turn the URLs in this answer lead to: one more than the request's. */
    private readonly nextTurn: number,
  ) {}

  private text(template: string): string {
    return xmlSafe(fill(template, this.variables));
  }

  /** Says a flow text, its variables filled in. */
  sayText(template: string): this {
    this.response.say(this.text(template));
    return this;
  }

  /** The step's actions from `from` on, up to the first that waits or leaves. */
  step(name: string, from = 0): this {
    const actions = this.voice.steps[name]!.actions;
    for (let at = from; at < actions.length; at++) {
      const action = actions[at]!;
      this.action(name, at, action);
      if (endsTwiml(action)) break;
    }
    return this;
  }

  private action(step: string, at: number, action: VoiceAction): void {
    const r = this.response;
    if ('say' in action) this.say(r, action.say);
    else if ('play' in action) this.play(r, action.play);
    else if ('pause' in action)
      r.pause({ length: typeof action.pause === 'number' ? action.pause : action.pause.length });
    else if ('gather' in action) this.gather(step, at, action.gather, 1);
    else if ('dial' in action) this.dial(step, at, action.dial, 0);
    else if ('record' in action) {
      const { maxLength, finishOnKey, playBeep, transcribe } = action.record;
      const callback = callbackPath('recording', { step, at });
      r.record({
        action: callbackPath('record', { step, at, turn: this.nextTurn }),
        method: 'POST',
        ...(maxLength !== undefined ? { maxLength } : {}),
        ...(finishOnKey !== undefined ? { finishOnKey } : {}),
        playBeep,
        recordingStatusCallback: callback,
        recordingStatusCallbackEvent: ['completed'],
        ...(transcribe ? { transcribe: true, transcribeCallback: callback } : {}),
      });
    } else if ('sms' in action) {
      const sms = typeof action.sms === 'string' ? { text: action.sms } : action.sms;
      r.sms(sms.to ? { to: sms.to } : {}, this.text(sms.text).slice(0, MAX_SMS_LENGTH));
    } else if ('redirect' in action) {
      if ('step' in action.redirect) this.goTo(action.redirect.step);
      else r.redirect({ method: 'POST' }, action.redirect.url);
    } else if ('hangup' in action) r.hangup();
    else r.reject({ reason: action.reject.reason });
  }

  private say(parent: { say: VoiceResponse['say'] }, say: Extract<VoiceAction, { say: unknown }>['say']) {
    const { text, ...attributes } = typeof say === 'string' ? { text: say } : say;
    parent.say(attributes as VoiceResponse.SayAttributes, this.text(text));
  }

  private play(parent: { play: VoiceResponse['play'] }, play: Extract<VoiceAction, { play: unknown }>['play']) {
    const { url, ...attributes } = typeof play === 'string' ? { url: play } : play;
    parent.play(attributes, url);
  }

  /** A step by a redirect to our step route: Twilio fetches it as the call's next document. */
  goTo(step: string): this {
    this.response.redirect({ method: 'POST' }, callbackPath('step', { step, turn: this.nextTurn }));
    return this;
  }

  gather(step: string, at: number, gather: Gather, attempt: number): this {
    const verb = this.response.gather({
      input: gather.input.split(' ') as NonNullable<VoiceResponse.GatherAttributes['input']>,
      action: callbackPath('gather', { step, at, try: attempt, turn: this.nextTurn }),
      method: 'POST',
      actionOnEmptyResult: true,
      ...(gather.numDigits !== undefined ? { numDigits: gather.numDigits } : {}),
      ...(gather.timeout !== undefined ? { timeout: gather.timeout } : {}),
      ...(gather.finishOnKey !== undefined ? { finishOnKey: gather.finishOnKey } : {}),
      ...(gather.hints ? { hints: gather.hints.join(', ') } : {}),
      ...(gather.language ? { language: gather.language as VoiceResponse.GatherAttributes['language'] } : {}),
    });
    const prompt = typeof gather.prompt === 'string' ? [{ say: gather.prompt }] : (gather.prompt ?? []);
    for (const action of prompt) {
      if ('say' in action) this.say(verb, action.say);
      else if ('play' in action) this.play(verb, action.play);
      else verb.pause({ length: typeof action.pause === 'number' ? action.pause : action.pause.length });
    }
    return this;
  }

  /** One Dial: every target at once, or (sequential) the target at `leg`. */
  dial(step: string, at: number, dial: Dial, leg: number): this {
    const targets = [dial.to].flat();
    const ringing = dial.mode === 'sequential' ? [targets[leg]!] : targets;
    const verb = this.response.dial({
      action: callbackPath('dial', { step, at, leg, turn: this.nextTurn }),
      method: 'POST',
      ...(dial.timeout !== undefined ? { timeout: dial.timeout } : {}),
      ...(dial.callerId ? { callerId: dial.callerId } : {}),
      ...(dial.record
        ? {
            record: 'record-from-answer',
            recordingStatusCallback: callbackPath('recording', { step, at }),
            recordingStatusCallbackEvent: ['completed'],
          }
        : {}),
    });
    const whisper = dial.whisper ? { url: callbackPath('whisper', { step, at }), method: 'POST' } : {};
    for (const target of ringing) {
      if (target.startsWith('client:')) verb.client(whisper, target.slice('client:'.length));
      else if (target.startsWith('sip')) verb.sip(whisper, target);
      else verb.number(whisper, target);
    }
    return this;
  }
}

const voiceOf = (flows: FlowFile): VoiceFlow => flows.voice ?? DEFAULT_FLOWS.voice!;

/**
 * The answer to a new call (the voice webhook, and its fallback): blocklist, business hours,
 * then the entry step. A call the app placed (Direction outbound-api) starts at the entry step:
 * the blocklist and the hours are about who calls in, and when.
 */
export function answerCall(flows: FlowFile, params: FormParams, settings: Settings, now = new Date()): VoiceAnswer {
  const voice = voiceOf(flows);
  const twiml = new CallTwiml(voice, requestVariables(params, settings), 1);
  if (field(params, 'Direction')?.startsWith('outbound'))
    return { twiml: twiml.step(voice.entry).response.toString(), facts: { turn: 0, step: voice.entry } };
  if (isBlocked(flows, field(params, 'From'))) {
    if (typeof voice.blocked === 'object')
      return {
        twiml: twiml.step(voice.blocked.step).response.toString(),
        facts: { turn: 0, outcome: 'blocked', step: voice.blocked.step },
      };
    twiml.response.reject({ reason: voice.blocked === 'busy' ? 'busy' : 'rejected' });
    return {
      twiml: twiml.response.toString(),
      facts: { turn: 0, outcome: `blocked: ${voice.blocked === 'busy' ? 'busy' : 'rejected'}` },
    };
  }
  if (voice.closed && flows.hours && !isOpen(flows.hours, now)) {
    return {
      twiml: twiml.step(voice.closed).response.toString(),
      facts: { turn: 0, outcome: 'closed', step: voice.closed },
    };
  }
  return { twiml: twiml.step(voice.entry).response.toString(), facts: { turn: 0, step: voice.entry } };
}

/** Where a callback says it came from: its query string, as our TwiML wrote it. */
export interface FlowPlace {
  step?: string | undefined;
  at?: number | undefined;
  turn?: number | undefined;
  try?: number | undefined;
  leg?: number | undefined;
}

type Outcome = { step?: string | undefined; outcome?: string };

/**
 * The answer to one of the flow's own callbacks (`step`, `gather`, `dial`, `record`), or
 * undefined when the place it names is not in the flow any more (a deploy removed it while
 * the call was on): the caller then hears an apology and the entry step.
 */
export function answerCallback(
  kind: 'step' | 'gather' | 'dial' | 'record',
  place: FlowPlace,
  flows: FlowFile,
  params: FormParams,
  settings: Settings,
): VoiceAnswer | undefined {
  const voice = voiceOf(flows);
  const turn = place.turn ?? 0;
  const twiml = new CallTwiml(voice, requestVariables(params, settings), turn + 1);
  const step = place.step !== undefined && Object.hasOwn(voice.steps, place.step) ? place.step : undefined;
  if (step === undefined) return undefined;
  if (kind === 'step') return { twiml: twiml.step(step).response.toString(), facts: { turn, step } };
  const at = place.at ?? -1;
  const action = voice.steps[step]!.actions[at];
  /** The step an outcome leads to, else the actions after this one. */
  const then = (facts: FlowFacts, next: Outcome): VoiceAnswer => {
    if (next.step) twiml.step(next.step);
    else twiml.step(step, at + 1);
    return {
      twiml: twiml.response.toString(),
      facts: {
        ...facts,
        turn,
        ...(next.outcome ? { outcome: next.outcome } : {}),
        ...(next.step ? { step: next.step } : {}),
      },
    };
  };

  if (kind === 'gather' && action && 'gather' in action) {
    const gather = action.gather;
    const digits = field(params, 'Digits') || undefined;
    const speech = field(params, 'SpeechResult')?.trim() || undefined;
    const heard = { ...(digits ? { digits } : {}), ...(speech ? { speech } : {}) };
    const target =
      (digits ? own(gather.branches, digits) : undefined) ??
      (speech ? spokenKeyword(gather.keywords, speech) : undefined);
    if (target) return then(heard, { step: target });
    const problem = digits || speech ? 'no match' : 'no input';
    const attempt = place.try ?? 1;
    if (attempt <= gather.retries) {
      twiml.sayText(gather.reprompt);
      twiml.gather(step, at, gather, attempt + 1);
      return { twiml: twiml.response.toString(), facts: { ...heard, turn, outcome: `${problem}, asked again` } };
    }
    return then(heard, {
      step: (problem === 'no input' ? gather.noInput : undefined) ?? gather.otherwise,
      outcome: problem,
    });
  }
  if (kind === 'dial' && action && 'dial' in action) {
    const dial = action.dial;
    const targets = [dial.to].flat();
    const leg = place.leg ?? 0;
    const status = field(params, 'DialCallStatus') ?? 'failed';
    const outcome =
      status === 'completed' || status === 'answered'
        ? 'answered'
        : status === 'busy'
          ? 'busy'
          : status === 'no-answer'
            ? 'noAnswer'
            : 'failed';
    const dialed = dial.mode === 'sequential' ? (targets[leg] ?? targets.join(', ')) : targets.join(', ');
    const facts = { dialed, outcome: status };
    if (outcome !== 'answered' && dial.mode === 'sequential' && leg + 1 < targets.length) {
      twiml.dial(step, at, dial, leg + 1);
      return { twiml: twiml.response.toString(), facts: { ...facts, turn } };
    }
    return then(facts, { step: dial[outcome] });
  }
  if (kind === 'record' && action && 'record' in action) {
    const duration = Number(field(params, 'RecordingDuration'));
    const facts: FlowFacts = {
      ...(Number.isInteger(duration) && duration >= 0 ? { recordingDuration: duration } : {}),
      ...(field(params, 'RecordingSid') ? { recordingSid: field(params, 'RecordingSid') } : {}),
    };
    return then(facts, { step: action.record.then });
  }
  return undefined;
}

/** The twiml and facts when a callback names a place the flow no longer has. */
export function stepGone(flows: FlowFile, place: FlowPlace, settings: Settings, params: FormParams): VoiceAnswer {
  const voice = voiceOf(flows);
  const twiml = new CallTwiml(voice, requestVariables(params, settings), (place.turn ?? 0) + 1);
  twiml.response.say(STEP_GONE);
  twiml.goTo(voice.entry);
  return {
    twiml: twiml.response.toString(),
    facts: {
      turn: place.turn ?? 0,
      outcome: `unknown place ${place.step ?? '?'}[${place.at ?? '-'}], back to ${voice.entry}`,
    },
  };
}

/** What the answering party of a dial hears before the caller is connected. */
export function whisperTwiml(flows: FlowFile, place: FlowPlace, params: FormParams, settings: Settings): string {
  const response = new VoiceResponse();
  const action = place.step !== undefined ? own(voiceOf(flows).steps, place.step)?.actions[place.at ?? -1] : undefined;
  if (action && 'dial' in action && action.dial.whisper)
    response.say(xmlSafe(fill(action.dial.whisper, requestVariables(params, settings))));
  return response.toString();
}

/** The step of the first keyword spoken (as words, case and punctuation ignored). */
function spokenKeyword(keywords: Record<string, string>, speech: string): string | undefined {
  const words = ` ${speech
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;
  for (const [keyword, step] of Object.entries(keywords)) {
    const wanted = keyword
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
    if (wanted && words.includes(` ${wanted} `)) return step;
  }
  return undefined;
}
