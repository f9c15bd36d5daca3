/**
 * The TwiML interpreter: plays Twilio for one call. It requests TwiML with signed webhooks
 * (keeping the app's cookies for the call, falling back to the fallback URL when the first
 * document fails), runs the verbs in order (voiceVerbs.ts), follows Gather, Dial, Record and
 * Redirect to their next document, and writes what the callee hears as a transcript. The
 * emulator runs its calls with it; `simulate call` runs calls against any app with the same code.
 */
import { CookieJar } from 'tough-cookie';
import { parseTwiml, TwimlError } from './twiml';
import {
  CallFailure,
  type CallEnd,
  type CallFlowOptions,
  type CallFlowResult,
  type CallStart,
  type Document,
  type FinalCallStatus,
  type Navigate,
  type Step,
  type TranscriptLine,
} from './callTypes';
import { MAX_CALL_SECONDS } from './twilioApi';
import { executeVerb, isVerb, type VerbContext } from './voiceVerbs';
import { httpMethod, sendWebhook, type WebhookRequest, type WebhookResult } from './webhook';

export const DEFAULT_MAX_STEPS = 50;

class Interrupted extends Error {}

type End = { endedBy: CallEnd; status?: FinalCallStatus; error?: CallFailure };

const queue = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value];

export async function runCallFlow(options: CallFlowOptions): Promise<CallFlowResult> {
  return new CallFlow(options).run();
}

/** Content types Twilio reads as TwiML; audio is played and text/plain is read out. */
const TWIML_TYPES = new Set(['text/xml', 'application/xml', 'text/html', '']);

class CallFlow implements VerbContext {
  readonly digits: string[];
  readonly speech: string[];
  readonly inputs: string[] | undefined;
  readonly transcript: TranscriptLine[] = [];
  answered: boolean;
  seconds = 0;
  dials = 0;
  private steps = 0;
  private requested = false;
  private dueDone = false;
  private readonly cookies = new CookieJar();
  /** Callbacks Twilio sends after the call has moved on (recording and transcription status). */
  private readonly later: WebhookRequest[] = [];

  constructor(readonly options: CallFlowOptions) {
    this.digits = queue(options.script?.digits);
    this.speech = queue(options.script?.speech);
    this.inputs = options.script?.inputs ? [...options.script.inputs] : undefined;
    this.answered = options.answered ?? false;
  }

  async run(): Promise<CallFlowResult> {
    const end = await this.play().catch((error: unknown): End => {
      if (this.options.signal?.aborted) return { endedBy: 'aborted', status: 'canceled' };
      if (error instanceof CallFailure) {
        this.options.onError?.(error);
        return { endedBy: 'error', error };
      }
      throw error;
    });
    await this.flushLater();
    if (!this.options.signal?.aborted) await this.runDue(true);
    if (end.error) this.say({ verb: 'Error', text: `${end.error.code} ${end.error.message}` });
    const status = end.status ?? (end.error && !this.answered ? 'failed' : 'completed');
    return {
      status,
      answered: this.answered,
      endedBy: end.endedBy,
      seconds: this.seconds,
      transcript: this.transcript,
      ...(end.error ? { error: { code: end.error.code, message: end.error.message } } : {}),
      unused: {
        digits: [...this.digits],
        speech: [...this.speech],
        ...(this.inputs ? { inputs: [...this.inputs] } : {}),
        dialed: this.dials > 0,
      },
    };
  }

  private async play(): Promise<End> {
    const opening = await this.interruptible(() => this.first());
    if ('endedBy' in opening) return opening;
    let document = opening;
    for (;;) {
      const outcome = await this.perform(document);
      if ('endedBy' in outcome) return outcome;
      const next = await this.interruptible(() => this.fetch(outcome.to));
      if ('endedBy' in next) return next;
      if (outcome.hangupAfter) return { endedBy: 'hangup' };
      document = next;
    }
  }

  /** The first document, from the fallback URL when the primary one fails. */
  private async first(): Promise<Document> {
    const { start, fallback } = this.options;
    try {
      const document =
        'twiml' in start
          ? this.inline(start.twiml)
          : await this.fetch({ url: start.url, method: start.method ?? 'POST', params: this.options.answerParams });
      if (fallback) this.check(document);
      return document;
    } catch (error) {
      if (!(error instanceof CallFailure) || !fallback || this.options.signal?.aborted) throw error;
      this.options.onError?.(error);
      this.say({ verb: 'Error', text: `${error.code} ${error.message}; requesting the fallback URL` });
      const params = {
        ...this.options.answerParams,
        ErrorCode: String(error.code),
        ErrorUrl: error.url ?? ('url' in start ? start.url : ''),
      };
      return this.fetch({ url: fallback.url, method: fallback.method ?? 'POST', params });
    }
  }

  /** Runs a document's verbs; answers where the call goes next, or how it ended. */
  private async perform(document: Document): Promise<{ to: Navigate | { twiml: string }; hangupAfter?: true } | End> {
    this.check(document);
    for (const verb of document.verbs) {
      await this.runDue();
      const interruption = this.options.control?.take();
      if (interruption) {
        const outcome = this.interrupted(interruption);
        return 'endedBy' in outcome ? outcome : { to: outcome };
      }
      if (++this.steps > (this.options.maxSteps ?? DEFAULT_MAX_STEPS)) {
        this.say({ verb: 'Stop', text: `the caller hangs up after ${this.steps - 1} verbs (a Redirect loop?)` });
        return { endedBy: 'max-steps' };
      }
      const step: Step = await executeVerb(this, verb, document);
      if (this.seconds >= (this.options.timeLimit ?? MAX_CALL_SECONDS)) {
        this.seconds = this.options.timeLimit ?? MAX_CALL_SECONDS;
        this.say({ verb: 'Stop', text: `time limit of ${this.seconds} s reached` });
        return { endedBy: 'time-limit' };
      }
      if (step.then === 'end') return step;
      if (step.then === 'navigate') return step.hangupAfter ? { to: step.to, hangupAfter: true } : { to: step.to };
    }
    return { endedBy: 'end-of-twiml' };
  }

  /** Runs the call's due work once its time has come (or, with `ended`, at the end of the call). */
  private async runDue(ended = false) {
    const due = this.options.due;
    if (!due || this.dueDone || (!ended && this.seconds < due.atSeconds)) return;
    this.dueDone = true;
    await due.run();
  }

  /** Twilio rejects a document with an element that is not a TwiML verb (error 12200) before running any of it. */
  private check(document: Document) {
    const unknown = document.verbs.find((verb) => !isVerb(verb.name));
    if (unknown)
      throw new CallFailure(12200, `Schema validation warning: <${unknown.name}> is not a TwiML verb`, document.url);
  }

  private async interruptible(fetchNext: () => Promise<Document>): Promise<Document | End> {
    try {
      return await fetchNext();
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      const interruption = this.options.control?.take();
      if (!interruption) throw error;
      const outcome = this.interrupted(interruption);
      if ('endedBy' in outcome) return outcome;
      return this.interruptible(() =>
        'twiml' in outcome ? Promise.resolve(this.inline(outcome.twiml)) : this.fetch(outcome),
      );
    }
  }

  private interrupted(interruption: { hangup: true } | { redirect: CallStart }): (Navigate | { twiml: string }) | End {
    if ('hangup' in interruption) {
      this.say({ verb: 'Hangup', text: 'ended through the REST API' });
      return { endedBy: 'hangup', status: this.answered ? 'completed' : 'canceled' };
    }
    const to = interruption.redirect;
    this.say({
      verb: 'Redirect',
      text: `redirected through the REST API to ${'twiml' in to ? 'inline TwiML' : to.url}`,
    });
    return 'twiml' in to ? to : { url: to.url, method: httpMethod(to.method) };
  }

  inline(twiml: string): Document {
    try {
      return { verbs: parseTwiml(twiml) };
    } catch (error) {
      throw new CallFailure(12100, `Document parse failure: the Twiml parameter is ${(error as Error).message}`);
    }
  }

  private async fetch(target: Navigate | { twiml: string }): Promise<Document> {
    if ('twiml' in target) return this.inline(target.twiml);
    const callStatus = this.requested || this.answered ? 'in-progress' : 'ringing';
    this.requested = true;
    const result = await this.request({
      url: target.url,
      method: target.method,
      params: { ...this.options.call, CallStatus: callStatus, ...target.params },
    });
    await this.flushLater();
    return this.read(result);
  }

  /** Sends a signed request for this call, with and into its cookie jar; aborts when the call is hung up or redirected. */
  async request(request: WebhookRequest): Promise<WebhookResult> {
    const control = this.options.control?.signal;
    const signals = [this.options.signal, control].filter((signal): signal is AbortSignal => signal !== undefined);
    const url = request.url.split('#')[0] ?? request.url;
    const cookie = await this.cookies.getCookieString(url);
    const result = await sendWebhook(
      this.options.authToken,
      { ...request, ...(cookie ? { cookie } : {}), ...(this.options.script?.at ? { at: this.options.script.at } : {}) },
      signals.length ? AbortSignal.any(signals) : undefined,
    );
    if (control?.aborted && !this.options.signal?.aborted) throw new Interrupted();
    for (const header of result.setCookies) await this.cookies.setCookie(header, result.url, { ignoreError: true });
    this.options.onRequest?.(result);
    return result;
  }

  /** Queues a callback Twilio sends once the call has moved on. */
  sendLater(request: WebhookRequest): void {
    this.later.push(request);
  }

  private async flushLater() {
    for (const request of this.later.splice(0)) {
      if (this.options.signal?.aborted) return;
      await sendWebhook(this.options.authToken, request, this.options.signal).then((result) =>
        this.options.onRequest?.(result),
      );
    }
  }

  private read(result: WebhookResult): Document {
    const where = `${result.method} ${result.url}`;
    if (result.status === undefined)
      throw new CallFailure(11205, `HTTP connection failure: ${where}: ${result.error}`, result.url);
    if (result.error)
      throw new CallFailure(
        11200,
        `HTTP retrieval failure: ${where} answered ${result.error}${snippet(result.body)}`,
        result.url,
        result.status,
      );
    const type = (result.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type.startsWith('audio/'))
      return { verbs: [{ name: 'Play', attributes: {}, children: [{ text: result.url }] }], url: result.url };
    if (type === 'text/plain')
      return { verbs: [{ name: 'Say', attributes: {}, children: [{ text: result.body }] }], url: result.url };
    if (!TWIML_TYPES.has(type))
      throw new CallFailure(12300, `Invalid Content-Type: ${where} answered ${type}`, result.url);
    try {
      return { verbs: parseTwiml(result.body), url: result.url };
    } catch (error) {
      if (!(error instanceof TwimlError)) throw error;
      throw new CallFailure(
        12100,
        `Document parse failure: ${where} answered ${error.message}`,
        result.url,
        result.status,
      );
    }
  }

  say(line: TranscriptLine): void {
    this.transcript.push(line);
    this.options.onLine?.(line);
  }
}

function snippet(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (!text) return '';
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
