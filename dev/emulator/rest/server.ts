/**
 * A local Twilio: the part of the REST API an app uses (Calls, Messages, IncomingPhoneNumbers,
 * Recordings), with Basic auth and Twilio-shaped JSON and errors, and calls and messages that
 * then run as Twilio runs them: signed webhooks, TwiML, status callbacks. Each resource lives
 * in its own file; this one puts them together and starts listening.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { callRoutes } from './calls';
import type { TranscriptLine } from '../interpreter/callTypes';
import { Clock } from './clock';
import { liveCallRoutes } from './liveCalls';
import { messageRoutes } from './messages';
import { addNumber, numberRoutes } from './numbers';
import { recordingRoutes } from './recordings';
import type * as resources from './resources';
import { createRouter } from './router';
import type { EmulatorScript, EmulatorState } from './state';
import { toolRoutes } from './tools';
import type { WebhookResult } from '../interpreter/webhook';
import { accountSid as accountSidSchema } from '../../../lib/config/settings';

export type { CallReport } from './tools';
export type { EmulatorScript } from './state';

export interface EmulatorOptions {
  accountSid: string;
  authToken: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The account's numbers (IncomingPhoneNumbers). When given, calls and messages must come from one of them, as on Twilio. */
  phoneNumbers?: string[];
  script?: EmulatorScript;
  /** Verbs a call runs before the emulated callee hangs up; bounds Redirect loops. Default 50. */
  maxSteps?: number;
  /** One line per API request, webhook and status change; never a credential. */
  log?: (line: string) => void;
}

export interface Emulator {
  /** The base URL to give TWILIO_API_BASE_URL, e.g. http://127.0.0.1:53123 */
  url: string;
  accountSid: string;
  /** Made up at start: the console's phone sends it (`Authorization: Bearer …`) to the live-call and texting routes. */
  phoneToken: string;
  calls: ReadonlyMap<string, resources.EmulatedCall>;
  messages: ReadonlyMap<string, resources.EmulatedMessage>;
  phoneNumbers: ReadonlyMap<string, resources.EmulatedPhoneNumber>;
  recordings: ReadonlyMap<string, resources.EmulatedRecording>;
  /** Every webhook and status callback the emulator sent, in order. */
  requests: readonly WebhookResult[];
  transcript(callSid: string): TranscriptLine[];
  /** Resolves when the call has ended and its callbacks have been answered. */
  waitForCall(callSid: string, timeoutMs?: number): Promise<resources.EmulatedCall>;
  waitForMessage(messageSid: string, timeoutMs?: number): Promise<resources.EmulatedMessage>;
  /** Replaces the script for calls and messages created from now on. */
  setScript(script: EmulatorScript): void;
  /** What the callee at `number` does on the calls placed to it from now on (over the script); undefined forgets it. */
  setCallee(number: string, script: resources.EmulatorCallScript | undefined): void;
  /** Stops sending first (nothing is posted once this has begun), then closes the server. */
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const state = createState(options);
  for (const phoneNumber of new Set(options.phoneNumbers ?? [])) addNumber(state, phoneNumber);
  const waitFor = <T extends { done: boolean }>(records: ReadonlyMap<string, T>, sid: string, timeoutMs: number) =>
    waitUntilDone(state, records, sid, timeoutMs);
  const server = createRouter(state, [
    ...callRoutes(state),
    ...messageRoutes(state),
    ...numberRoutes(state),
    ...recordingRoutes(state),
    ...liveCallRoutes(state),
    ...toolRoutes(state, (sid, timeoutMs) =>
      state.calls.has(sid) ? waitFor(state.calls, sid, timeoutMs) : waitFor(state.messages, sid, timeoutMs),
    ),
  ]);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  state.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url: state.url,
    accountSid: state.accountSid,
    phoneToken: state.phoneToken,
    calls: state.calls,
    messages: state.messages,
    phoneNumbers: state.numbers,
    recordings: state.recordings,
    requests: state.requests,
    transcript: (callSid) => state.calls.get(callSid)?.transcript ?? [],
    waitForCall: (callSid, timeoutMs = 10_000) => waitFor(state.calls, callSid, timeoutMs),
    waitForMessage: (messageSid, timeoutMs = 10_000) => waitFor(state.messages, messageSid, timeoutMs),
    setScript(next) {
      state.script = { ...next };
    },
    setCallee(number, script) {
      if (script) state.callees.set(number, { ...script });
      else state.callees.delete(number);
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, state.clock.stop()]);
    },
  };
}

function createState(options: EmulatorOptions): EmulatorState {
  const { accountSid, authToken } = options;
  if (!accountSidSchema.safeParse(accountSid).success)
    throw new Error('accountSid must be "AC" followed by 32 hex characters');
  if (!authToken) throw new Error('authToken must not be empty');
  const log = options.log ?? (() => {});
  return {
    accountSid,
    authToken,
    phoneToken: randomBytes(24).toString('base64url'),
    url: '',
    script: { ...options.script },
    callees: new Map(),
    maxSteps: options.maxSteps,
    calls: new Map(),
    messages: new Map(),
    numbers: new Map(),
    recordings: new Map(),
    requests: [],
    clock: new Clock((sid, error) => log(`${sid}: ${error instanceof Error ? error.message : String(error)}`)),
    log,
  };
}

async function waitUntilDone<T extends { done: boolean }>(
  state: EmulatorState,
  records: ReadonlyMap<string, T>,
  sid: string,
  timeoutMs: number,
): Promise<T> {
  const record = records.get(sid);
  if (!record) throw new Error(`no such record ${sid}`);
  if (record.done) return record;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${sid} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([state.clock.job(sid), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return record;
}
