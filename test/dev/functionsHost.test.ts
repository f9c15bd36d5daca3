import { postSigned } from '../support/signed';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { matchRoute, registeredTriggers, requestUrl, startHost, trustedHeaders } from '../../dev/functionsHost';
import { lineNow } from '../../lib/flows/hours';
import { getFlows } from '../../lib/flows/load';
import { functionNameOf, functionSourceFiles, startAppHost } from '../support/appHost';
import { QUEUES } from '../../lib/config/queues';
import { startFakeTwilio } from '../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

let app: Awaited<ReturnType<typeof startAppHost>>;
let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
const logs: string[] = [];

beforeAll(async () => {
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  app = await startAppHost((level, name, message) => logs.push(`${level} ${name} ${message}`));
});
afterAll(async () => {
  await app.close();
  await fake.close();
});
beforeEach(() => useSettings({ TWILIO_API_BASE_URL: fake.url, SMS_REPLY: 'Got it!' }));

describe('local Functions host', () => {
  it('serves every function file, each registering the function it is named after', () => {
    const files = functionSourceFiles().map(functionNameOf).sort();
    const { queues, timers } = registeredTriggers();
    expect([...app.functions, ...queues, ...timers].map((fn) => fn.name).sort()).toEqual(files);
    expect(queues.map((fn) => `${fn.name} ${fn.queueName} ${fn.connection}`).sort()).toEqual([
      `sendCampaign ${QUEUES.campaigns} AzureWebJobsStorage`,
      `sendQueued ${QUEUES.outbound} AzureWebJobsStorage`,
    ]);
    expect(files).toEqual(expect.arrayContaining(['health', 'makeCall', 'sendSms', 'smsWebhook', 'voiceWebhook']));
  });

  it('registers the routes, methods and auth levels of the design', () => {
    const table = Object.fromEntries(
      app.functions.map((fn) => [fn.name, `${fn.methods.join(',')} ${fn.route} ${fn.authLevel}`]),
    );
    expect(table).toMatchObject({
      makeCall: 'POST calls function',
      sendSms: 'POST messages function',
      voiceWebhook: 'POST twilio/voice anonymous',
      smsWebhook: 'POST twilio/sms anonymous',
      voiceFallback: 'POST twilio/voice/fallback anonymous',
      smsFallback: 'POST twilio/sms/fallback anonymous',
      health: 'GET health anonymous',
      console: 'GET console function',
      getCallRecording: 'GET calls/{sid}/recordings/{recordingSid} function',
      getFlowGraph: 'GET flows/graph function',
    });
    for (const fn of app.functions.filter((f) => f.route.startsWith('twilio/'))) expect(fn.authLevel).toBe('anonymous');
  });

  it('answers a signed inbound SMS over HTTP with the configured reply as text/xml', async () => {
    const url = `${app.url}/api/twilio/sms`;
    const fields = {
      MessageSid: 'SM0123456789abcdef0123456789abcdef',
      From: '+15550001111',
      To: '+15005550006',
      Body: 'hi',
    };
    const response = await postSigned(url, fields);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(await response.text()).toContain('<Message>Got it!</Message>');
  });

  it('refuses an unsigned one with 403 and logs the URL it checked', async () => {
    const response = await fetch(`${app.url}/api/twilio/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Body=hi',
    });
    expect(response.status).toBe(403);
    expect(
      logs.some((line) => line.startsWith('warning smsWebhook') && line.includes(`${app.url}/api/twilio/sms`)),
    ).toBe(true);
  });

  it('places a call through the fake Twilio and answers 201 with its SID', async () => {
    const response = await fetch(`${app.url}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15550002222' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { sid: string };
    expect(fake.received.at(-1)?.form.Url).toEqual([`${app.url}/api/twilio/voice`]);
    expect(body.sid).toMatch(/^CA[0-9a-f]{32}$/);
  });

  it('reports health without secrets', async () => {
    const response = await fetch(`${app.url}/api/health`);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      status: 'ok',
      version: expect.any(String),
      twilio: { endpoint: fake.url, emulator: true },
    });
    expect(text).not.toContain(TEST_AUTH_TOKEN);
    expect(text).not.toContain(TEST_ACCOUNT_SID);
  });

  it('runs a request at the X-Emulator-Time the local emulator names, only when told to (never a real caller)', async () => {
    useSettings({ TWILIO_API_BASE_URL: fake.url, PHONE_FLOWS: 'flows/examples/business-hours.json' });
    const lineAt = async (url: string, at: string) =>
      ((await (await fetch(`${url}/api/health`, { headers: { 'X-Emulator-Time': at } })).json()) as { line: unknown })
        .line;
    expect(await lineAt(app.url, '2026-06-08T10:00')).toEqual({
      open: true,
      until: '2026-06-08T21:00:00.000Z',
      summary: 'open until Mon 2026-06-08 17:00 (America/New_York)',
    });
    expect(await lineAt(app.url, '2026-06-07T10:00:00-04:00')).toMatchObject({ open: false });
    const plain = await startHost({ functions: app.functions, prefix: 'api', log: () => {} });
    try {
      const now = lineNow(getFlows({ PHONE_FLOWS: 'flows/examples/business-hours.json' }).hours, new Date());
      const [open, closed] = [await lineAt(plain.url, '2026-06-08T10:00'), await lineAt(plain.url, '2026-06-07T10:00')];
      expect([open, closed]).toMatchObject([{ open: now.open }, { open: now.open }]);
    } finally {
      await plain.close();
    }
  });

  it('answers 404 for an unknown route or a method the function does not take', async () => {
    expect((await fetch(`${app.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${app.url}/api/twilio/sms`)).status).toBe(404);
    expect((await fetch(`${app.url}/calls`, { method: 'POST' })).status).toBe(404);
  });

  it('answers a 2 MB body with 413, not a crash', async () => {
    const response = await fetch(`${app.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15550002222', body: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(response.status).toBe(413);
  });
});

/** One raw HTTP exchange over a socket, for what fetch will not send (a bad Host, a stalled request). */
function rawRequest(url: string, text: string, { end = true } = {}): Promise<{ reply: string; ms: number }> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((done, fail) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => (end ? socket.end(text) : socket.write(text)));
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('close', () => done({ reply, ms: performance.now() - started }));
    socket.on('error', fail);
  });
}

describe('the local host at its edges', () => {
  it('refuses a 300 MB upload from its Content-Length, before reading it', async () => {
    const { reply } = await rawRequest(
      app.url,
      'POST /api/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 314572800\r\n\r\n{',
      { end: false },
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('stops reading a body that grows past the limit without a Content-Length', async () => {
    const chunks = (async function* () {
      for (let i = 0; i < 64; i++) yield new Uint8Array(64 * 1024);
    })();
    const response = await fetch(`${app.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('answers a malformed percent-encoding in the path or an invalid Host with 400, not 500', async () => {
    expect((await fetch(`${app.url}/api/calls/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${app.url}/api/%zz`)).status).toBe(400);
    const { reply } = await rawRequest(
      app.url,
      'GET /api/health HTTP/1.1\r\nHost: bad host\r\nConnection: close\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('answers a Host header with credentials (user@host) with 400, not 500', async () => {
    const { reply } = await rawRequest(
      app.url,
      'POST /api/twilio/sms HTTP/1.1\r\nHost: user@evil.com\r\nContent-Length: 7\r\nConnection: close\r\n\r\nBody=hi',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("closes a request whose headers never finish, well before Node's 300 s default", async () => {
    const { ms } = await rawRequest(app.url, 'POST /api/twilio/sms HTTP/1.1\r\nHost: localhost\r\n', { end: false });
    expect(ms).toBeLessThan(20_000);
  }, 30_000);
});

describe('who may choose the URL a signature is checked against', () => {
  const fromPeer = (remoteAddress: string, headers: Record<string, string>) =>
    ({
      socket: { remoteAddress, localAddress: '127.0.0.1', localPort: 7071 },
      headers,
      url: '/api/twilio/sms',
    }) as unknown as IncomingMessage;
  const spoofed = {
    host: 'other-deployment.example.com',
    'x-forwarded-host': 'other-deployment.example.com',
    'x-forwarded-proto': 'https',
  };

  it('a loopback peer (a local tunnel) may: its Host and forwarded headers pass', () => {
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(requestUrl(fromPeer(peer, spoofed))?.origin).toBe('http://other-deployment.example.com');
      expect(trustedHeaders(fromPeer(peer, spoofed))).toMatchObject({
        'x-forwarded-host': 'other-deployment.example.com',
      });
    }
  });

  it('anyone else may not: the address they reached is the URL, and forwarded headers are dropped', () => {
    const request = fromPeer('203.0.113.9', spoofed);
    expect(requestUrl(request)?.href).toBe('http://127.0.0.1:7071/api/twilio/sms');
    expect(trustedHeaders(request)).toEqual({ host: 'other-deployment.example.com' });
  });
});

describe('route templates', () => {
  it.each([
    ['calls', '/calls', {}],
    ['calls', '/CALLS/', {}],
    ['calls/{sid}', '/calls/CA123', { sid: 'CA123' }],
    ['calls/{sid:regex(^CA)}', '/calls/CA1', { sid: 'CA1' }],
    ['calls/{sid?}', '/calls', {}],
  ])('%s matches %s', (template, path, params) => {
    expect(matchRoute(template, path)).toEqual(params);
  });

  it.each([
    ['calls', '/calls/x'],
    ['calls/{sid}', '/calls'],
    ['calls/{sid}', '/messages/SM1'],
  ])('%s does not match %s', (template, path) => {
    expect(matchRoute(template, path)).toBeUndefined();
  });
});
