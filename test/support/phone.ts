/**
 * Try a flow file the way a phone would: the app on the local host, the local Twilio emulator
 * with the number pointed at it, and a caller that presses keys, speaks, or texts.
 *
 *   const phone = await startPhone({ flows: 'flows/examples/ivr.json' });
 *   const call = await phone.call({ digits: ['2'] });
 *   expect(call.path).toBe('welcome · menu · pressed 2 · support · …');
 *   await phone.close();
 *
 * A flow whose `http` actions call out gets fakes of those systems: name each origin the file
 * writes, and the phone plays a copy of the file with that origin pointed at a fake on 127.0.0.1
 * that answers what the test says (JSON, failures, delays):
 *
 *   const phone = await startPhone({ flows: 'flows/examples/crm-lookup.json',
 *     endpoints: { 'https://crm.example.com': () => ({ json: { name: 'Ada' } }) } });
 *   phone.endpoints['https://crm.example.com'].answer({ delayMs: 30_000 });
 *
 * `code` hooks run as they are, from hooks/.
 *
 * `now` sets the time every call and text happens (a Date, or an ISO time read in the flow's
 * time zone such as '2026-06-01T10:00'), so a test of open or closed hours passes on any day;
 * `call({ now })` and `text(body, { now })` set it for one.
 *
 * Everything runs in this process on 127.0.0.1; records and queued texts go to an Azurite of
 * this test file's own (the queue function runs here, and would take other files' messages).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalTwilio, type LocalTwilio } from '../../dev/emulator/local';
import type { AnsweredBy, DialOutcome, TranscriptLine } from '../../dev/emulator/index';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { InvocationContext } from '@azure/functions';
import { registeredTriggers } from '../../dev/functionsHost';
import { atTime } from '../../lib/config/clock';
import { timeIn } from '../../lib/flows/hours';
import { startAppHost } from './appHost';
import { startFakeEndpoint, type FakeAnswer, type FakeEndpoint, type FakeHandler } from './fakeEndpoint';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER, useSettings } from './settings';

export interface CallOptions {
  from?: string;
  /** Keys for each <Gather> or <Record> in turn, e.g. ['9', '2'] or ['#'] to end a recording. */
  digits?: string[];
  /** Words for each speech <Gather> in turn. */
  speech?: string[];
  /** The caller's inputs in order, instead of digits and speech: keys ('1', '#'), 'say:<words>' or 'silence'; each <Gather> or <Record> takes the next. */
  inputs?: string[];
  /** How every <Dial> of the call ends; default completed (answered). */
  dialOutcome?: DialOutcome;
  /** How long a <Record> records, in seconds; default 5. */
  recordingSeconds?: number;
  /** What a transcription says. */
  transcription?: string;
  /** When the call happens, if not at startPhone's `now`. */
  now?: Date | string;
}

/** A call the app places (POST /api/calls), and what the person or machine at `to` does. */
export interface PlaceCallOptions {
  /** Default +15550100299. */
  to?: string;
  /** `flow` of POST /api/calls: the step the callee hears first and the call's variables. */
  flow?: { step?: string; variables?: Record<string, unknown> };
  /** `machineDetection` of POST /api/calls: 'Enable', 'DetectMessageEnd' or an object with timeouts. */
  machineDetection?: unknown;
  /** Who answers, for machine detection: human (default), machine_end_beep, fax… */
  answeredBy?: AnsweredBy;
  /** The callee's keys for each <Gather> in turn. */
  digits?: string[];
}

export interface PlayedCall {
  sid: string;
  /** How the call ended on the emulator: completed, busy, no-answer, failed. */
  status: string;
  /** The path the app recorded: `menu · pressed 2 · support · dial +15550100002 completed`. */
  path: string;
  /** What the caller heard and did, one line per verb: `Say: Connecting you to support.` */
  heard: string[];
  /** Texts sent while the call ran or because of it (the flow's sms, voicemail notifications). */
  texts: Array<{ to: string; body: string }>;
}

export interface PlayedText {
  /** The messages the flow answered with: replies to the sender and forwards. */
  replies: Array<{ to: string; body: string; media: string[] }>;
  /** The rule that decided, as recorded: `keyword HOURS`, `default`, `blocked`… */
  rule: string | undefined;
}

export interface Phone {
  /** The app, e.g. to GET /api/calls/{sid}. */
  appUrl: string;
  /** The local Twilio emulator (TWILIO_API_BASE_URL), e.g. for `simulate`. */
  emulatorUrl: string;
  number: string;
  /** The emulator, and the token of its phone routes (the console's phone: dev/emulator/rest/liveCalls.ts). */
  emulator: { url: string; phoneToken: string };
  call(options?: CallOptions): Promise<PlayedCall>;
  /** Asks the app to place a call (POST /api/calls) and plays it to its end. */
  placeCall(options?: PlaceCallOptions): Promise<PlayedCall>;
  text(body: string, options?: { from?: string; now?: Date | string }): Promise<PlayedText>;
  /** Runs `work` (a request to the app), waits until the outbound queue is idle, and answers the texts sent meanwhile. */
  sending<T>(work: () => Promise<T>): Promise<{ result: T; texts: Array<{ to: string; body: string }> }>;
  /** Runs every timer-triggered function once as if it were `at` (the Functions host runs them on their schedule). */
  runTimers(at: Date): Promise<void>;
  /** The app's log lines (`error orderStatus: Hook … failed …`), to check what was logged. */
  logs: string[];
  /** The fakes of the `endpoints` option, by the origin the flow file writes. */
  endpoints: Record<string, FakeEndpoint>;
  close(): Promise<void>;
}

const CALLER = '+15550100199';
const CALLEE = '+15550100299';

/** One Azurite per test file, started with its first phone; it ends with the test process. */
let azurite: Promise<RunningAzurite> | undefined;

const line = (entry: TranscriptLine) => `${'  '.repeat(entry.depth ?? 0)}${entry.verb}: ${entry.text}`.trimEnd();

/** Starts the app with `flows` (a path like PHONE_FLOWS; default flows.json) and the emulator, its number pointed at the app. */
export async function startPhone({
  flows,
  settings = {},
  now,
  endpoints = {},
}: {
  flows?: string;
  settings?: Record<string, string>;
  now?: Date | string;
  /** Origins the flow's http actions call (`https://crm.example.com`) → how their fake answers. */
  endpoints?: Record<string, FakeHandler | FakeAnswer>;
} = {}): Promise<Phone> {
  const fakes: Record<string, FakeEndpoint> = {};
  for (const [origin, handler] of Object.entries(endpoints)) fakes[origin] = await startFakeEndpoint(handler);
  const copy = Object.keys(fakes).length > 0 && flows ? pointedAtFakes(flows, fakes) : undefined;
  if (copy) flows = copy.file;
  // A time without an offset goes as it is: the app reads it in its flow's time zone.
  const at = (time: Date | string | undefined): Record<string, string> => {
    if (time === undefined) return {};
    if (typeof time === 'string' && !timeIn(time, 'UTC'))
      throw new Error(`now: "${time}" is not an ISO time like 2026-06-01T10:00`);
    return { At: time instanceof Date ? time.toISOString() : time };
  };
  const twilio: LocalTwilio = await startLocalTwilio(
    { accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN },
    TEST_PHONE_NUMBER,
    () => {},
  );
  const { emulator } = twilio;
  azurite ??= startAzurite({ services: 'app' });
  const storage = (await azurite).connectionString;
  useSettings({ AzureWebJobsStorage: storage, TWILIO_API_BASE_URL: emulator.url, PHONE_FLOWS: flows, ...settings });
  const logs: string[] = [];
  const app = await startAppHost((level, name, message) => logs.push(`${level} ${name}: ${message}`), {
    queues: { maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 1 },
  });
  await twilio.pointNumberAt(app.url);
  const appGet = async (path: string) => {
    const response = await fetch(`${app.url}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response;
  };

  /** A call once it has ended: how, the path the app recorded, what was heard, the texts sent since `before`. */
  const played = async (sid: string, before: Set<string>): Promise<PlayedCall> => {
    const call = await emulator.waitForCall(sid, 30_000);
    await app.queues.idle();
    const transcript = await (await appGet(`/api/calls/${call.sid}/transcript`)).text();
    return {
      sid: call.sid,
      status: call.status,
      path: transcript.split('\n')[1] ?? '',
      heard: call.transcript.map(line),
      texts: [...emulator.messages.values()]
        .filter((message) => !before.has(message.sid))
        .map((message) => ({ to: message.to, body: message.body })),
    };
  };

  return {
    appUrl: app.url,
    emulatorUrl: emulator.url,
    number: TEST_PHONE_NUMBER,
    emulator: { url: emulator.url, phoneToken: emulator.phoneToken },
    async call(options = {}) {
      emulator.setScript({
        ...(options.recordingSeconds !== undefined ? { recordingSeconds: options.recordingSeconds } : {}),
        ...(options.transcription !== undefined ? { transcription: options.transcription } : {}),
      });
      const before = new Set(emulator.messages.keys());
      const form = new URLSearchParams({
        From: options.from ?? CALLER,
        To: TEST_PHONE_NUMBER,
        ...at(options.now ?? now),
      });
      for (const digits of options.digits ?? []) form.append('Digits', digits);
      for (const speech of options.speech ?? []) form.append('Speech', speech);
      for (const input of options.inputs ?? []) form.append('Input', input);
      if (options.dialOutcome) form.set('DialOutcome', options.dialOutcome);
      const rung = await emulatorPost<{ call: { sid: string } }>(twilio, '/_emulator/calls', form);
      return played(rung.call.sid, before);
    },
    async placeCall(options = {}) {
      const to = options.to ?? CALLEE;
      emulator.setCallee(to, {
        ...(options.answeredBy ? { answeredBy: options.answeredBy } : {}),
        ...(options.digits ? { digits: options.digits } : {}),
      });
      const before = new Set(emulator.messages.keys());
      const response = await fetch(`${app.url}/api/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to, flow: options.flow, machineDetection: options.machineDetection }),
      });
      if (!response.ok) throw new Error(`POST /api/calls: ${response.status} ${await response.text()}`);
      try {
        return await played(((await response.json()) as { sid: string }).sid, before);
      } finally {
        emulator.setCallee(to, undefined);
      }
    },
    async text(body, options = {}) {
      const before = new Set(emulator.messages.keys());
      const result = await emulatorPost<{
        message: { sid: string };
        replies: Array<{ to: string; body: string; sid: string }>;
      }>(
        twilio,
        '/_emulator/messages',
        new URLSearchParams({
          From: options.from ?? CALLER,
          To: TEST_PHONE_NUMBER,
          Body: body,
          ...at(options.now ?? now),
        }),
      );
      await app.queues.idle();
      // Forwards come through the outbound queue: the texts the app sent besides its replies.
      const replied = new Set([result.message.sid, ...result.replies.map((reply) => reply.sid)]);
      const forwards = [...emulator.messages.values()]
        .filter((message) => !before.has(message.sid) && !replied.has(message.sid))
        .map((message) => ({ to: message.to, body: message.body, sid: message.sid }));
      const record = (await (await appGet(`/api/messages/${result.message.sid}`)).json()) as {
        events: Array<{ rule?: string }>;
      };
      return {
        replies: [...forwards, ...result.replies].map((reply) => ({
          to: reply.to,
          body: reply.body,
          media: emulator.messages.get(reply.sid)?.mediaUrls ?? [],
        })),
        rule: record.events.find((event) => event.rule !== undefined)?.rule,
      };
    },
    async sending(work) {
      const before = new Set(emulator.messages.keys());
      const result = await work();
      await app.queues.idle();
      const texts = [...emulator.messages.values()]
        .filter((message) => !before.has(message.sid) && message.direction !== 'inbound')
        .map((message) => ({ to: message.to, body: message.body }));
      return { result, texts };
    },
    async runTimers(at) {
      for (const timer of registeredTriggers().timers) {
        const context = new InvocationContext({
          functionName: timer.name,
          logHandler: (level, ...args) => logs.push(`${level} ${timer.name}: ${args.map(String).join(' ')}`),
        });
        const schedule = { adjustForDST: false };
        await atTime(at, () =>
          timer.handler({ isPastDue: false, schedule, scheduleStatus: undefined } as never, context),
        );
      }
    },
    logs,
    endpoints: fakes,
    async close() {
      await app.close();
      await emulator.stop();
      for (const fake of Object.values(fakes)) await fake.close();
      if (copy) rmSync(copy.dir, { recursive: true, force: true });
    },
  };
}

/** A copy of the flow file with each faked origin replaced by its fake's http://127.0.0.1:<port>. */
function pointedAtFakes(flows: string, fakes: Record<string, FakeEndpoint>): { dir: string; file: string } {
  let text = readFileSync(flows, 'utf8');
  for (const [origin, fake] of Object.entries(fakes)) text = text.split(origin.replace(/\/$/, '')).join(fake.url);
  const dir = mkdtempSync(join(tmpdir(), 'phone-flows-'));
  const file = join(dir, 'flows.json');
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(text) as object), $schema: undefined }));
  return { dir, file };
}

async function emulatorPost<T>(twilio: LocalTwilio, path: string, form: URLSearchParams): Promise<T> {
  const response = await fetch(`${twilio.emulator.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form,
  });
  if (!response.ok) throw new Error(`the emulator answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}
