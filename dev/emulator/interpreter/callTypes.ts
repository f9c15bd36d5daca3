/**
 * The shapes the TwiML interpreter (callFlow.ts), its verbs (voiceVerbs.ts) and whoever runs a
 * call with it (the REST side, `simulate`) share: its options, its control, its result.
 */
import type { LiveCaller } from './liveCaller';
import type { TwimlElement } from './twiml';
import type { WebhookResult } from './webhook';

export type DialOutcome = 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export const DIAL_OUTCOMES: readonly DialOutcome[] = [
  'completed',
  'answered',
  'busy',
  'no-answer',
  'failed',
  'canceled',
];

/** What the emulated callee does. Each <Gather> (or <Record>) takes the next digits (or speech) in turn; when they run out, nobody answers. */
export interface CallScript {
  digits?: string | string[];
  speech?: string | string[];
  /**
   * The caller's inputs in order, taken by each <Gather> or <Record> in turn whatever it
   * listens for: keys (`1`, `#`), words (`say:appointment`) or `silence`. When given, digits
   * and speech are not used.
   */
  inputs?: string[];
  /** How every <Dial> ends; default completed. */
  dialOutcome?: DialOutcome;
  /** How long every <Record> records, in seconds; default 5. */
  recordingSeconds?: number;
  /** What a transcribed recording says; default "Emulated transcription." */
  transcription?: string;
  /** When the call happens (ISO 8601), if not now: sent with every request of the call (X-Emulator-Time). */
  at?: string;
}

export interface TranscriptLine {
  verb: string;
  text: string;
  /** The request the verb led to, such as `POST http://…/gather`. */
  next?: string;
  /** 1 for verbs nested in <Gather>. */
  depth?: number;
  /** A valid TwiML verb the emulator does not act out: reported, then skipped. */
  notEmulated?: true;
}

export type FinalCallStatus = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export type CallEnd = 'hangup' | 'end-of-twiml' | 'reject' | 'max-steps' | 'time-limit' | 'error' | 'aborted';

export interface CallFlowResult {
  status: FinalCallStatus;
  answered: boolean;
  endedBy: CallEnd;
  /** Simulated call length: what the verbs would take on a real line. */
  seconds: number;
  transcript: TranscriptLine[];
  /** A Twilio error code and message when the app's TwiML could not be fetched or read. */
  error?: { code: number; message: string };
  /** Scripted input no verb asked for: digits and speech left over, and whether any <Dial> used the dial outcome. */
  unused: { digits: string[]; speech: string[]; inputs?: string[]; dialed: boolean };
}

export interface OutgoingSms {
  from: string;
  to: string;
  body: string;
  statusCallback?: string;
}

/** A recording the call made (<Record>, <Dial record>), for the emulator to serve. */
export interface RecordingMade {
  sid: string;
  seconds: number;
  source: 'RecordVerb' | 'DialVerb' | 'OutboundAPI';
  startTime: Date;
}

export type CallStart = { url: string; method?: string } | { twiml: string };

/** A TwiML document's verbs, and the URL it came from (none for inline TwiML). */
export interface Document {
  verbs: TwimlElement[];
  url?: string;
}

export interface Navigate {
  url: string;
  method: string;
  params?: Record<string, string>;
}

/** A Twilio error that ends the call (or sends it to its fallback URL). */
export class CallFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly url?: string,
    /** The HTTP status the URL answered, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** What a verb leads to. `hangupAfter`: the action is requested but its TwiML is not run (the caller has hung up). */
export type Step =
  | { then: 'continue' }
  | { then: 'navigate'; to: Navigate; hangupAfter?: true }
  | { then: 'end'; endedBy: CallEnd; status?: FinalCallStatus };

/** Hangs up or redirects a live call, as `POST Calls/{sid}.json` with Status or Url/Twiml does. */
export class CallControl {
  private controller = new AbortController();
  private pending: { hangup: true } | { redirect: CallStart } | undefined;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  hangup(): void {
    this.interrupt({ hangup: true });
  }

  redirect(to: CallStart): void {
    this.interrupt({ redirect: to });
  }

  /** The interruption to act on, if any; the next one can come after. */
  take(): { hangup: true } | { redirect: CallStart } | undefined {
    const pending = this.pending;
    if (pending) this.controller = new AbortController();
    this.pending = undefined;
    return pending;
  }

  private interrupt(what: { hangup: true } | { redirect: CallStart }) {
    this.pending = what;
    this.controller.abort();
  }
}

export interface CallFlowOptions {
  authToken: string;
  /** The parameters every request carries: AccountSid, CallSid, From, To, Direction, ApiVersion, Called, Caller… */
  call: Record<string, string>;
  start: CallStart;
  /** Parameters only the request for the first document carries (AnsweredBy after synchronous machine detection). */
  answerParams?: Record<string, string>;
  /**
   * Work due once the call has lasted `atSeconds` (asynchronous machine detection reporting):
   * done between verbs, before a REST interruption is looked at, or when the call ends first.
   */
  due?: { atSeconds: number; run: () => Promise<void> };
  /** Requested with ErrorCode and ErrorUrl when the first document cannot be fetched or read. */
  fallback?: { url: string; method?: string };
  script?: CallScript;
  /** A caller who answers live (the console's phone): each <Gather> and <Record> waits for it; the script's keys and words are not used. */
  caller?: LiveCaller;
  /** Outbound API calls are answered before their TwiML is requested; inbound calls are not. */
  answered?: boolean;
  /** Verbs run before the emulated caller gives up (bounds Redirect loops); default 50. */
  maxSteps?: number;
  /** Simulated seconds after which Twilio ends the call (TimeLimit); default 14400. */
  timeLimit?: number;
  /** Where RecordingUrl points; default https://api.twilio.com. */
  apiBaseUrl?: string;
  signal?: AbortSignal;
  control?: CallControl;
  onLine?: (line: TranscriptLine) => void;
  onRequest?: (result: WebhookResult) => void;
  onRecording?: (recording: RecordingMade) => void;
  /** Each Twilio error the call meets (what Twilio's debugger publishes), a fallback's too. */
  onError?: (failure: CallFailure) => void;
  /** Sends an <Sms> from the call; answers its SID. */
  sendSms?: (sms: OutgoingSms) => Promise<string> | string;
}
