/**
 * The TwiML interpreter: plays Twilio for one call. It requests TwiML with signed webhooks,
 * runs the verbs in order, follows Gather, Dial, Record and Redirect to their next document,
 * and writes what the callee hears as a transcript. The emulator runs outbound calls with it;
 * `simulate call` runs inbound calls against the app with the same code.
 */
import { newSid } from './sids';
import { isElement, parseTwiml, textOf, TwimlError, type TwimlElement } from './twiml';
import { httpMethod, sendWebhook, type WebhookResult } from './webhook';

export type DialOutcome = 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export const DIAL_OUTCOMES: readonly DialOutcome[] = ['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled'];

/** What the emulated callee does. Each <Gather> takes the next digits (or speech) in turn; when they run out, nobody answers. */
export interface CallScript {
  digits?: string | string[];
  speech?: string | string[];
  /** How every <Dial> ends; default completed. */
  dialOutcome?: DialOutcome;
  /** How long every <Record> records, in seconds; default 5. */
  recordingSeconds?: number;
}

export interface TranscriptLine {
  verb: string;
  text: string;
  /** The request the verb led to, such as `POST http://…/gather`. */
  next?: string;
  /** 1 for verbs nested in <Gather>. */
  depth?: number;
}

export type FinalCallStatus = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export type CallEnd = 'hangup' | 'end-of-twiml' | 'reject' | 'max-steps' | 'error' | 'aborted';

export interface CallFlowResult {
  status: FinalCallStatus;
  answered: boolean;
  endedBy: CallEnd;
  /** Simulated call length: what the verbs would take on a real line. */
  seconds: number;
  transcript: TranscriptLine[];
  /** A Twilio error code and message when the app's TwiML could not be fetched or read. */
  error?: { code: number; message: string };
}

export interface OutgoingSms {
  from: string;
  to: string;
  body: string;
  statusCallback?: string;
}

export interface CallFlowOptions {
  authToken: string;
  /** The parameters every request carries: AccountSid, CallSid, From, To, Direction, ApiVersion, Called, Caller… */
  call: Record<string, string>;
  start: { url: string; method?: string } | { twiml: string };
  script?: CallScript;
  /** Outbound API calls are answered before their TwiML is requested; inbound calls are not. */
  answered?: boolean;
  /** Verbs run before the emulated caller gives up (bounds Redirect loops); default 50. */
  maxSteps?: number;
  /** Where RecordingUrl points; default https://api.twilio.com. */
  apiBaseUrl?: string;
  signal?: AbortSignal;
  onLine?: (line: TranscriptLine) => void;
  onRequest?: (result: WebhookResult) => void;
  /** Sends an <Sms> from the call; answers its SID. */
  sendSms?: (sms: OutgoingSms) => Promise<string> | string;
}

export const DEFAULT_MAX_STEPS = 50;

interface Document {
  verbs: TwimlElement[];
  url?: string;
}

interface Navigate {
  url: string;
  method: string;
  params?: Record<string, string>;
}

type Step = { then: 'continue' } | { then: 'navigate'; to: Navigate } | { then: 'end'; endedBy: CallEnd; status?: FinalCallStatus };

class CallFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const queue = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? [...value] : [value]);
const wordsSeconds = (text: string) => Math.max(1, Math.ceil(text.split(/\s+/).filter(Boolean).length / 2.5));

export async function runCallFlow(options: CallFlowOptions): Promise<CallFlowResult> {
  return new CallFlow(options).run();
}

class CallFlow {
  private readonly digits: string[];
  private readonly speech: string[];
  private readonly transcript: TranscriptLine[] = [];
  private answered: boolean;
  private seconds = 0;
  private steps = 0;
  private requested = false;

  constructor(private readonly options: CallFlowOptions) {
    this.digits = queue(options.script?.digits);
    this.speech = queue(options.script?.speech);
    this.answered = options.answered ?? false;
  }

  async run(): Promise<CallFlowResult> {
    let end: { endedBy: CallEnd; status?: FinalCallStatus; error?: CallFailure };
    try {
      end = await this.play();
    } catch (error) {
      if (this.options.signal?.aborted) end = { endedBy: 'aborted', status: 'canceled' };
      else if (error instanceof CallFailure) end = { endedBy: 'error', error };
      else throw error;
    }
    if (end.error) this.say({ verb: 'Error', text: `${end.error.code} ${end.error.message}` });
    const status = end.status ?? (end.error && !this.answered ? 'failed' : 'completed');
    return {
      status,
      answered: this.answered,
      endedBy: end.endedBy,
      seconds: this.seconds,
      transcript: this.transcript,
      ...(end.error ? { error: { code: end.error.code, message: end.error.message } } : {}),
    };
  }

  private async play(): Promise<{ endedBy: CallEnd; status?: FinalCallStatus }> {
    const { start } = this.options;
    let document = 'twiml' in start ? this.inline(start.twiml) : await this.fetch({ url: start.url, method: start.method ?? 'POST' });
    for (;;) {
      let next: Navigate | undefined;
      for (const verb of document.verbs) {
        if (++this.steps > (this.options.maxSteps ?? DEFAULT_MAX_STEPS)) {
          this.say({ verb: 'Stop', text: `the caller hangs up after ${this.steps - 1} verbs (a Redirect loop?)` });
          return { endedBy: 'max-steps' };
        }
        const step = await this.execute(verb, document);
        if (step.then === 'end') return step;
        if (step.then === 'navigate') {
          next = step.to;
          break;
        }
      }
      if (!next) return { endedBy: 'end-of-twiml' };
      document = await this.fetch(next);
    }
  }

  private inline(twiml: string): Document {
    try {
      return { verbs: parseTwiml(twiml) };
    } catch (error) {
      throw new CallFailure(12100, `Document parse failure: the Twiml parameter is ${(error as Error).message}`);
    }
  }

  private async fetch(target: Navigate): Promise<Document> {
    const callStatus = this.requested || this.answered ? 'in-progress' : 'ringing';
    this.requested = true;
    const result = await sendWebhook(
      this.options.authToken,
      { url: target.url, method: target.method, params: { ...this.options.call, CallStatus: callStatus, ...target.params } },
      this.options.signal,
    );
    this.options.onRequest?.(result);
    const where = `${result.method} ${result.url}`;
    if (result.status === undefined) throw new CallFailure(11205, `HTTP connection failure: ${where}: ${result.error}`);
    if (result.error) throw new CallFailure(11200, `HTTP retrieval failure: ${where} answered ${result.error}${snippet(result.body)}`);
    const type = (result.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type.startsWith('audio/')) return { verbs: [{ name: 'Play', attributes: {}, children: [{ text: result.url }] }], url: result.url };
    if (type === 'text/plain') return { verbs: [{ name: 'Say', attributes: {}, children: [{ text: result.body }] }], url: result.url };
    try {
      return { verbs: parseTwiml(result.body), url: result.url };
    } catch (error) {
      if (!(error instanceof TwimlError)) throw error;
      throw new CallFailure(12100, `Document parse failure: ${where} answered ${error.message}`);
    }
  }

  private say(line: TranscriptLine) {
    this.transcript.push(line);
    this.options.onLine?.(line);
  }

  private resolve(url: string | undefined, document: Document, verb: string): string {
    const target = url?.trim() || document.url;
    if (!target) throw new CallFailure(11100, `Invalid URL: <${verb}> has no action and inline TwiML has no URL to fall back on`);
    try {
      return new URL(target, document.url).toString();
    } catch {
      throw new CallFailure(11100, `Invalid URL format in <${verb}>: ${target}`);
    }
  }

  private navigate(verb: TwimlElement, url: string | undefined, document: Document, params?: Record<string, string>): Navigate {
    return { url: this.resolve(url, document, verb.name), method: httpMethod(verb.attributes.method), params };
  }

  private async execute(verb: TwimlElement, document: Document): Promise<Step> {
    const attrs = verb.attributes;
    if (verb.name !== 'Reject') this.answered = true;
    switch (verb.name) {
      case 'Say':
      case 'Play':
      case 'Pause':
        this.media(verb, 0);
        return { then: 'continue' };
      case 'Gather':
        return this.gather(verb, document);
      case 'Dial':
        return this.dial(verb, document);
      case 'Record':
        return this.record(verb, document);
      case 'Redirect': {
        const to = this.navigate(verb, textOf(verb), document);
        this.say({ verb: 'Redirect', text: to.url, next: `${to.method} ${to.url}` });
        return { then: 'navigate', to };
      }
      case 'Hangup':
        this.say({ verb: 'Hangup', text: '' });
        return { then: 'end', endedBy: 'hangup' };
      case 'Reject': {
        const reason = attrs.reason === 'busy' ? 'busy' : 'rejected';
        this.say({ verb: 'Reject', text: `reason ${reason}` });
        if (this.answered) return { then: 'end', endedBy: 'hangup' };
        return { then: 'end', endedBy: 'reject', status: reason === 'busy' ? 'busy' : 'no-answer' };
      }
      case 'Sms':
      case 'Message':
        return this.sms(verb, document);
      default:
        this.say({ verb: verb.name, text: 'not emulated; skipped' });
        return { then: 'continue' };
    }
  }

  private media(verb: TwimlElement, depth: number) {
    const attrs = verb.attributes;
    const loop = Number(attrs.loop ?? 1) || 1;
    const times = loop > 1 ? ` (×${loop})` : '';
    const line = (text: string) => this.say({ verb: verb.name, text, ...(depth ? { depth } : {}) });
    if (verb.name === 'Say') {
      const text = textOf(verb);
      this.seconds += wordsSeconds(text) * loop;
      line(`${text}${times}`);
    } else if (verb.name === 'Play') {
      const url = textOf(verb);
      this.seconds += url ? 5 * loop : 1;
      line(url ? `${url}${times}` : `digits ${attrs.digits ?? ''}`.trim());
    } else if (verb.name === 'Pause') {
      const length = Number(attrs.length ?? 1);
      this.seconds += Number.isFinite(length) ? length : 1;
      line(`${attrs.length ?? 1} s`);
    } else {
      line('not emulated inside <Gather>; skipped');
    }
  }

  private gather(verb: TwimlElement, document: Document): Step {
    const attrs = verb.attributes;
    for (const child of verb.children.filter(isElement)) this.media(child, 1);
    const input = (attrs.input ?? 'dtmf').toLowerCase().split(/\s+/);
    const finishOnKey = attrs.finishOnKey ?? '#';
    const actionUrl = () => this.navigate(verb, attrs.action, document);

    let params: Record<string, string> | undefined;
    let heard: string | undefined;
    if (input.includes('dtmf') && this.digits.length > 0) {
      let digits = this.digits.shift()!;
      params = {};
      if (finishOnKey && digits.endsWith(finishOnKey)) {
        digits = digits.slice(0, -finishOnKey.length);
        params.FinishedOnKey = finishOnKey;
      }
      params.Digits = digits;
      heard = `pressed ${digits}`;
    } else if (input.includes('speech') && this.speech.length > 0) {
      const speech = this.speech.shift()!;
      params = { SpeechResult: speech, Confidence: '0.92' };
      heard = `said "${speech}"`;
    }
    if (params && heard) {
      this.seconds += 2;
      const to = { ...actionUrl(), params };
      this.say({ verb: 'Gather', text: heard, next: `${to.method} ${to.url}` });
      return { then: 'navigate', to };
    }
    this.seconds += Number(attrs.timeout ?? 5) || 5;
    if (attrs.actionOnEmptyResult === 'true') {
      const to = actionUrl();
      this.say({ verb: 'Gather', text: 'no input', next: `${to.method} ${to.url}` });
      return { then: 'navigate', to };
    }
    this.say({ verb: 'Gather', text: 'no input; continues' });
    return { then: 'continue' };
  }

  private dial(verb: TwimlElement, document: Document): Step {
    const attrs = verb.attributes;
    const nouns = verb.children.filter(isElement);
    const targets = nouns.length ? nouns.map((noun) => `${noun.name === 'Number' ? '' : `${noun.name} `}${textOf(noun)}`).join(', ') : textOf(verb);
    const outcome = this.options.script?.dialOutcome ?? 'completed';
    const connected = outcome === 'completed' || outcome === 'answered';
    const talk = connected ? 5 : 0;
    this.seconds += connected ? talk + 2 : outcome === 'no-answer' ? Number(attrs.timeout ?? 30) || 30 : 2;
    const params: Record<string, string> = { DialCallStatus: outcome, DialBridged: String(connected) };
    if (outcome !== 'failed') params.DialCallSid = newSid('CA');
    if (connected) params.DialCallDuration = String(talk);
    const text = `${targets}: ${outcome}`;
    if (attrs.action === undefined) {
      this.say({ verb: 'Dial', text });
      return { then: 'continue' };
    }
    const to = { ...this.navigate(verb, attrs.action, document), params };
    this.say({ verb: 'Dial', text, next: `${to.method} ${to.url}` });
    return { then: 'navigate', to };
  }

  private record(verb: TwimlElement, document: Document): Step {
    const attrs = verb.attributes;
    const maxLength = Number(attrs.maxLength ?? 3600) || 3600;
    const seconds = Math.min(this.options.script?.recordingSeconds ?? 5, maxLength);
    const finishOnKey = attrs.finishOnKey ?? '1234567890*#';
    const recordingSid = newSid('RE');
    const base = (this.options.apiBaseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
    this.seconds += seconds;
    const to = {
      // Without an action Twilio requests the current document again, as here.
      ...this.navigate(verb, attrs.action, document),
      params: {
        RecordingUrl: `${base}/2010-04-01/Accounts/${this.options.call.AccountSid ?? ''}/Recordings/${recordingSid}`,
        RecordingSid: recordingSid,
        RecordingDuration: String(seconds),
        Digits: finishOnKey ? finishOnKey.slice(-1) : 'hangup',
      },
    };
    const beep = attrs.playBeep === 'false' ? '' : 'beep, ';
    this.say({ verb: 'Record', text: `${beep}recorded ${seconds} s`, next: `${to.method} ${to.url}` });
    return { then: 'navigate', to };
  }

  private async sms(verb: TwimlElement, document: Document): Promise<Step> {
    const attrs = verb.attributes;
    const sms: OutgoingSms = {
      to: attrs.to ?? this.options.call.From ?? '',
      from: attrs.from ?? this.options.call.To ?? '',
      body: textOf(verb),
      ...(attrs.statusCallback ? { statusCallback: this.resolve(attrs.statusCallback, document, verb.name) } : {}),
    };
    const sid = (await this.options.sendSms?.(sms)) ?? newSid('SM');
    const text = `to ${sms.to}: ${sms.body}`;
    if (attrs.action === undefined) {
      this.say({ verb: verb.name, text });
      return { then: 'continue' };
    }
    const to = { ...this.navigate(verb, attrs.action, document), params: { SmsSid: sid, SmsStatus: 'sending' } };
    this.say({ verb: verb.name, text, next: `${to.method} ${to.url}` });
    return { then: 'navigate', to };
  }
}

function snippet(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (!text) return '';
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
