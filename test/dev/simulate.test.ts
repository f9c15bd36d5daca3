import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../dev/cli/output';
import { twilioClientFor } from '../../dev/cli/twilio';
import { startEmulator, type Emulator } from '../../dev/emulator/index';
import { runSimulate } from '../../dev/simulate/command';
import { startTwimlApp, twiml } from './emulatorTwimlApp';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const OUR_NUMBER = '+15550100000';

let app: Awaited<ReturnType<typeof startTwimlApp>>;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'simulate-'));
  app = await startTwimlApp(authToken, {
    '/api/twilio/sms': (params) =>
      params.Body === 'redirect'
        ? twiml('<Message>First</Message><Redirect>/more</Redirect>')
        : twiml(
            `<Message>You said: ${params.Body}</Message><Message to="+15550009999"><Body>Copy</Body><Media>https://example.test/a.png</Media></Message>`,
          ),
    '/more': () => twiml('<Message>Second</Message>'),
    '/api/twilio/voice': (params) =>
      twiml(
        `<Say>Hello ${params.From}</Say><Gather numDigits="1" action="/api/twilio/menu"><Say>Press a key.</Say></Gather><Say>Goodbye.</Say>`,
      ),
    '/api/twilio/menu': (params) =>
      twiml(`<Say>You pressed ${params.Digits}.</Say><Dial action="/api/twilio/dialed">+15550003333</Dial>`),
    '/api/twilio/dialed': (params) => twiml(`<Say>Dial ${params.DialCallStatus}.</Say>`),
    '/api/twilio/status': () => ({ body: '', type: 'text/plain' }),
  });
});
afterAll(async () => {
  await app.close();
  rmSync(root, { recursive: true, force: true });
});

function capture(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: { write: (chunk: string) => out.push(chunk) },
    stderr: { write: (chunk: string) => err.push(chunk) },
    env: { TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_PHONE_NUMBER: OUR_NUMBER, ...env },
    root,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('simulate sms', () => {
  it('sends a signed inbound SMS webhook and prints every reply, a message to someone else as a Forward', async () => {
    const run = capture();
    expect(await runSimulate(['sms', '--url', app.url, '--from', '+15550001111', '--body', 'hello'], run.io)).toBe(0);
    const request = app.on('/api/twilio/sms').at(-1)!;
    expect(request.signatureValid).toBe(true);
    expect(request.params).toMatchObject({
      From: '+15550001111',
      To: OUR_NUMBER,
      Body: 'hello',
      AccountSid: accountSid,
      NumMedia: '0',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
    });
    expect(request.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    const lines = run.stdout().split('\n');
    expect(lines.find((line) => line.includes('You said'))).toMatch(
      /^Reply\s+\+15550100000 → \+15550001111\s+You said: hello$/,
    );
    expect(lines.find((line) => line.includes('Copy'))).toMatch(
      /^Forward\s+\+15550100000 → \+15550009999\s+Copy \+ https:\/\/example\.test\/a\.png$/,
    );
  });

  it('follows <Redirect> and prints JSON for scripts', async () => {
    const run = capture();
    expect(
      await runSimulate(['sms', '--url', app.url, '--from', 'client:alice', '--body', 'redirect', '--json'], run.io),
    ).toBe(0);
    const document = JSON.parse(run.stdout()) as { replies: Array<{ body: string }>; requests: unknown[] };
    expect(document.replies.map((reply) => reply.body)).toEqual(['First', 'Second']);
    expect(document.requests).toHaveLength(2);
  });

  it('fails with the reason when the app rejects the signature', async () => {
    const run = capture({ TWILIO_AUTH_TOKEN: 'another-token' });
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
        const valid = validateRequest(
          authToken,
          String(req.headers['x-twilio-signature']),
          `http://${req.headers.host}${req.url}`,
          params,
        );
        res
          .writeHead(valid ? 200 : 403, { 'Content-Type': 'text/plain' })
          .end(valid ? '' : 'Invalid X-Twilio-Signature');
      });
    });
    const url = await listen(server);
    try {
      expect(await runSimulate(['sms', '--url', url, '--from', '+15550001111', '--body', 'hi'], run.io)).toBe(1);
      expect(run.stderr()).toContain('11200 HTTP retrieval failure');
      expect(run.stderr()).toContain('The app rejected the signature');
    } finally {
      await close(server);
    }
  });

  it('explains what is missing', async () => {
    const noNumber = capture({ TWILIO_PHONE_NUMBER: undefined });
    expect(await runSimulate(['sms', '--url', app.url, '--from', '+15550001111', '--body', 'hi'], noNumber.io)).toBe(2);
    expect(noNumber.stderr()).toContain('--to is required: TWILIO_PHONE_NUMBER is not set');

    const noBody = capture();
    expect(await runSimulate(['sms', '--url', app.url, '--from', '+15550001111'], noBody.io)).toBe(2);
    expect(noBody.stderr()).toContain('--body is required');

    const mixed = capture();
    expect(await runSimulate(['call', '--url', app.url, '--input', '1', '--digits', '2'], mixed.io)).toBe(2);
    expect(mixed.stderr()).toContain("give the caller's inputs with --input alone");
    const badInput = capture();
    expect(await runSimulate(['call', '--url', app.url, '--input', 'hello'], badInput.io)).toBe(2);
    expect(badInput.stderr()).toContain('--input "hello" is not keys (1, 42#, *), say:<words> or silence');
    const badTime = capture();
    expect(await runSimulate(['call', '--url', app.url, '--at', 'monday'], badTime.io)).toBe(2);
    expect(badTime.stderr()).toContain('--at must be an ISO time such as 2026-06-01T10:00');

    const unknown = capture();
    expect(await runSimulate(['fax'], unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain('unknown command "fax"');

    const down = capture();
    expect(await runSimulate(['sms', '--url', 'http://127.0.0.1:1', '--from', '+1555', '--body', 'hi'], down.io)).toBe(
      1,
    );
    expect(down.stderr()).toContain('11205 HTTP connection failure');
  });
});

describe('simulate call', () => {
  it('runs an inbound call through the voice webhook and prints one line per verb', async () => {
    const run = capture();
    const code = await runSimulate(
      ['call', '--url', app.url, '--from', '+15550001111', '--digits', '7', '--dial-outcome', 'busy'],
      run.io,
    );
    expect(run.stderr()).toBe('');
    expect(code).toBe(0);
    const transcript = run
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.replace(/\s+→ .*$/, '').trim());
    expect(transcript).toEqual([
      'Say      Hello +15550001111',
      'Say      Press a key.',
      'Gather   pressed 7',
      'Say      You pressed 7.',
      'Dial     +15550003333: busy',
      'Say      Dial busy.',
    ]);
    expect(run.stdout()).toMatch(/Ended\s+completed, \d+ s \(end-of-twiml\)/);

    const voice = app.on('/api/twilio/voice').at(-1)!;
    expect(voice.signatureValid).toBe(true);
    expect(voice.params).toMatchObject({
      Direction: 'inbound',
      CallStatus: 'ringing',
      From: '+15550001111',
      To: OUR_NUMBER,
    });
    const status = app.on('/api/twilio/status').at(-1)!;
    expect(status.signatureValid).toBe(true);
    expect(status.params).toMatchObject({
      CallSid: voice.params.CallSid,
      CallStatus: 'completed',
      SequenceNumber: '0',
      CallbackSource: 'call-progress-events',
    });
  });

  it('says which --digits, --speech and --dial-outcome the TwiML never asked for, and defaults --from', async () => {
    const run = capture();
    const code = await runSimulate(
      ['call', '--url', app.url, '--digits', '7', '--digits', '9', '--speech', 'sales', '--dial-outcome', 'busy'],
      run.io,
    );
    expect(code).toBe(0);
    expect(run.stderr()).toContain('--digits 9 not used');
    expect(run.stderr()).toContain('--speech "sales" not used');
    expect(run.stderr()).not.toContain('--dial-outcome');
    expect(app.on('/api/twilio/voice').at(-1)!.params.From).toBe('+15550100199');

    const noDial = capture();
    expect(await runSimulate(['call', '--url', app.url, '--dial-outcome', 'busy'], noDial.io)).toBe(0);
    expect(noDial.stderr()).toContain('--dial-outcome busy not used: the call had no <Dial>');
  });

  it('without digits the Gather falls through; --json gives the transcript', async () => {
    const run = capture();
    expect(await runSimulate(['call', '--url', app.url, '--from', 'anonymous', '--json'], run.io)).toBe(0);
    const document = JSON.parse(run.stdout()) as { transcript: Array<{ verb: string; text: string }>; status: string };
    expect(document.status).toBe('completed');
    expect(document.transcript.map((line) => line.text)).toEqual([
      'Hello anonymous',
      'Press a key.',
      'no input; continues',
      'Goodbye.',
    ]);
  });

  it('fails when the app cannot answer the call', async () => {
    const run = capture();
    expect(await runSimulate(['call', '--url', 'http://127.0.0.1:1', '--from', '+15550001111'], run.io)).toBe(1);
    expect(run.stderr()).toContain('11205 HTTP connection failure');
    expect(run.stderr()).toContain('the status callback was not accepted');
  });
});

/**
 * A stand-in for the app's outbound side: POST /api/calls places the call through the real
 * SDK on the emulator, status callbacks update its records, GET /api/calls/{sid} reads them.
 */
async function startPlacingApp(emulator: Emulator, { records }: { records: boolean }) {
  const statuses = new Map<string, string>();
  const client = await twilioClientFor({ accountSid, authToken, apiBaseUrl: emulator.url, source: 'settings' });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void answer());
    const answer = async () => {
      const origin = `http://${req.headers.host}`;
      const body = Buffer.concat(chunks).toString();
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
      if (req.url === '/api/calls' && req.method === 'POST') {
        const { to } = JSON.parse(body) as { to: string };
        const call = await client.calls.create({
          to,
          from: OUR_NUMBER,
          url: `${origin}/api/twilio/voice`,
          statusCallback: `${origin}/api/twilio/status`,
        });
        statuses.set(call.sid, call.status);
        return json(201, { sid: call.sid, status: call.status, to: call.to, from: call.from });
      }
      if (req.url === '/api/twilio/voice')
        return res.writeHead(200, { 'Content-Type': 'text/xml' }).end(twiml('<Say>Hello Monkey!</Say>'));
      if (req.url === '/api/twilio/status') {
        const params = Object.fromEntries(new URLSearchParams(body));
        if (validateRequest(authToken, String(req.headers['x-twilio-signature']), `${origin}${req.url}`, params)) {
          statuses.set(params.CallSid!, params.CallStatus!);
        }
        return res.writeHead(204).end();
      }
      const sid = /^\/api\/calls\/(CA\w+)$/.exec(req.url ?? '')?.[1];
      if (records && sid && statuses.has(sid)) return json(200, { sid, status: statuses.get(sid) });
      json(404, { error: 'Not found' });
    };
  });
  return { url: await listen(server), close: () => close(server) };
}

describe('simulate place-call', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ accountSid, authToken, phoneNumbers: [OUR_NUMBER] });
  });
  afterAll(() => emulator.stop());

  it('asks the app to place the call, prints what the callee hears, then the final status from the records', async () => {
    const placing = await startPlacingApp(emulator, { records: true });
    try {
      const run = capture({ TWILIO_API_BASE_URL: emulator.url });
      const code = await runSimulate(['place-call', '--url', placing.url, '--to', '+15550002222'], run.io);
      expect(run.stderr()).toBe('');
      expect(code).toBe(0);
      const out = run.stdout();
      expect(out).toMatch(/^Placed\s+CA\w+…\w+ \+15550100000 → \+15550002222/);
      expect(out).toMatch(/\n {2}Say\s+Hello Monkey!\n/);
      expect(out).toMatch(/\nTwilio\s+completed, \d+ s\n/);
      expect(out).toMatch(/\nRecords\s+completed \(GET .*\/api\/calls\/CA\w+\)\n/);

      const json = capture({ TWILIO_API_BASE_URL: emulator.url });
      expect(await runSimulate(['place-call', '--url', placing.url, '--to', '+15550002222', '--json'], json.io)).toBe(
        0,
      );
      expect(JSON.parse(json.stdout())).toMatchObject({
        call: { to: '+15550002222', from: OUR_NUMBER },
        transcript: [{ verb: 'Say', text: 'Hello Monkey!' }],
        twilio: { status: 'completed', done: true },
        record: { status: 'completed' },
        problems: [],
      });
    } finally {
      await placing.close();
    }
  });

  it('says so clearly, and fails, when the app has no record of the call', async () => {
    const placing = await startPlacingApp(emulator, { records: false });
    try {
      const run = capture({ TWILIO_API_BASE_URL: emulator.url });
      expect(await runSimulate(['place-call', '--url', placing.url, '--to', '+15550002222'], run.io)).toBe(1);
      expect(run.stdout()).toContain('Hello Monkey!');
      expect(run.stdout()).toMatch(/Records\s+unavailable/);
      expect(run.stderr()).toMatch(/the app has no record of call CA\w+: GET .*\/api\/calls\/CA\w+ answered 404/);
    } finally {
      await placing.close();
    }
  });

  it('explains an unreachable app and a refused request', async () => {
    const down = capture({ TWILIO_API_BASE_URL: emulator.url });
    expect(await runSimulate(['place-call', '--url', 'http://127.0.0.1:1', '--to', '+15550002222'], down.io)).toBe(1);
    expect(down.stderr()).toContain('could not reach the app at http://127.0.0.1:1');

    const refusing = createServer((_req, res) =>
      res
        .writeHead(400, { 'Content-Type': 'application/json' })
        .end(
          JSON.stringify({ error: 'Invalid request', problems: [{ field: 'to', message: 'Invalid E.164 number' }] }),
        ),
    );
    const url = await listen(refusing);
    try {
      const run = capture({ TWILIO_API_BASE_URL: emulator.url });
      expect(await runSimulate(['place-call', '--url', url, '--to', '12'], run.io)).toBe(1);
      expect(run.stderr()).toContain(`POST ${url}/api/calls answered 400: Invalid request: to Invalid E.164 number`);
    } finally {
      await close(refusing);
    }
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

describe('simulate against the local emulator (no --url)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ accountSid, authToken, phoneNumbers: [OUR_NUMBER] });
    const client = await twilioClientFor({ accountSid, authToken, apiBaseUrl: emulator.url, source: 'settings' });
    const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: OUR_NUMBER });
    await client.incomingPhoneNumbers(number!.sid).update({
      voiceUrl: `${app.url}/api/twilio/voice`,
      smsUrl: `${app.url}/api/twilio/sms`,
      statusCallback: `${app.url}/api/twilio/status`,
    });
  });
  afterAll(() => emulator.stop());

  it("rings the number: the number's voice URL decides, and unused input is reported", async () => {
    const run = capture({ TWILIO_API_BASE_URL: emulator.url });
    expect(await runSimulate(['call', '--digits', '7', '--speech', 'hi', '--dial-outcome', 'no-answer'], run.io)).toBe(
      0,
    );
    expect(run.stdout()).toContain("(inbound, the number's voice URL on the emulator)");
    expect(run.stdout()).toMatch(/Dial\s+\+15550003333: no-answer/);
    expect(run.stderr()).toContain('--speech "hi" not used');
    const [call] = emulator.calls.values();
    expect(call).toMatchObject({ direction: 'inbound', from: '+15550100199', to: OUR_NUMBER, status: 'completed' });
    expect(app.on('/api/twilio/voice').at(-1)!.params.CallSid).toBe(call!.sid);
  });

  it("texts the number: the number's SMS URL decides, replies are sent as messages", async () => {
    const run = capture({ TWILIO_API_BASE_URL: emulator.url });
    expect(await runSimulate(['sms', '--body', 'hello'], run.io)).toBe(0);
    expect(run.stdout()).toMatch(/Reply\s+\+15550100000 → \+15550100199\s+You said: hello/);
    expect([...emulator.messages.values()].filter((message) => message.direction === 'outbound-reply')).toHaveLength(2);
  });
});
