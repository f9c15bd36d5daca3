/**
 * Every signed route (everything under /api/twilio/) as an attacker sends it: over real HTTP
 * through the local host (which keeps the last copy of a repeated query parameter) and
 * in-process (where HttpRequest.query keeps the first), so no copy can steer a call.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { flowWebhook } from '../../functions/flowWebhook';
import { smsWebhook } from '../../functions/smsWebhook';
import { invoke, signedForm } from '../support/invoke';
import { writeFlowFile } from '../support/flowFile';
import { startAppHost } from '../support/appHost';
import { TEST_AUTH_TOKEN, TEST_PHONE_NUMBER, useSettings } from '../support/settings';

const ownFlows = writeFlowFile('signed-routes', {
  voice: {
    entry: 'menu',
    steps: {
      menu: { actions: [{ gather: { numDigits: 1, branches: { '2': 'sales', '3': 'vm' }, retries: 0 } }] },
      sales: { actions: [{ dial: { to: ['+15550100001', '+15550100002'], mode: 'sequential', whisper: 'Hi' } }] },
      vm: { actions: [{ record: { maxLength: 30 } }] },
    },
  },
});
const flowFile = ownFlows.file;
const ivr = resolve(__dirname, '../../flows/examples/ivr.json');

let app: Awaited<ReturnType<typeof startAppHost>>;
const logs: string[] = [];
beforeAll(async () => {
  app = await startAppHost((level, name, message) => logs.push(`[${level}] ${name}: ${message}`));
});
afterAll(async () => {
  await app.close();
  ownFlows.remove();
});
beforeEach(() => useSettings({ PHONE_FLOWS: flowFile }));

const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;
const call = () => ({ CallSid: newCallSid(), From: '+15550100199', To: TEST_PHONE_NUMBER, CallStatus: 'in-progress' });
const sms = () => ({
  MessageSid: `SM${randomBytes(16).toString('hex')}`,
  From: '+15550100199',
  To: TEST_PHONE_NUMBER,
  Body: 'hi',
});
const recording = () => ({ CallSid: newCallSid(), RecordingSid: `RE${randomBytes(16).toString('hex')}` });

/** Every signed route with the query our own TwiML (or the owner's console) gives it, and a body that succeeds. */
const ROUTES: Array<{ path: string; query: string; fields: () => Record<string, string> }> = [
  { path: '/api/twilio/voice', query: '', fields: () => ({ ...call(), CallStatus: 'ringing' }) },
  { path: '/api/twilio/voice/fallback', query: '', fields: () => ({ ...call(), ErrorCode: '11200' }) },
  { path: '/api/twilio/sms', query: '', fields: sms },
  { path: '/api/twilio/sms/fallback', query: '', fields: sms },
  { path: '/api/twilio/status', query: '', fields: () => ({ ...call(), CallStatus: 'completed' }) },
  { path: '/api/twilio/flow/step', query: 'step=menu&turn=1', fields: call },
  { path: '/api/twilio/flow/gather', query: 'step=menu&at=0&try=1&turn=1', fields: () => ({ ...call(), Digits: '2' }) },
  {
    path: '/api/twilio/flow/dial',
    query: 'step=sales&at=0&leg=0&turn=2',
    fields: () => ({ ...call(), DialCallStatus: 'busy' }),
  },
  {
    path: '/api/twilio/flow/record',
    query: 'step=vm&at=0&turn=2',
    fields: () => ({ ...call(), RecordingDuration: '3' }),
  },
  { path: '/api/twilio/flow/recording', query: 'step=vm&at=0', fields: recording },
  { path: '/api/twilio/flow/whisper', query: 'step=sales&at=0', fields: call },
];

interface Reply {
  status: number;
  text: string;
}

/** A raw POST through the local host: the path is sent exactly as given (fetch would drop a `#…`). */
function post(path: string, fields: Record<string, string>, signature: string): Promise<Reply> {
  const { hostname, port } = new URL(app.url);
  const body = new URLSearchParams(fields).toString();
  return new Promise((done, fail) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

const sign = (path: string, fields: Record<string, string>) =>
  getExpectedTwilioSignature(TEST_AUTH_TOKEN, `${app.url}${path}`, fields);
/** Posts as Twilio would have, had it signed exactly this path. */
const signed = (path: string, fields: Record<string, string>) => post(path, fields, sign(path, fields));
const withQuery = (path: string, query: string) => (query ? `${path}?${query}` : path);

describe('a signed flow callback whose query is padded (issue 17, item 1)', () => {
  it('no longer steers the call to another step: the padded URL is refused', async () => {
    useSettings({ PHONE_FLOWS: ivr });
    const fields = call();
    const path = '/api/twilio/flow/step?step=menu&turn=1';
    const signature = sign(path, fields);
    const original = await post(path, fields, signature);
    expect(original.status).toBe(200);
    expect(original.text).toContain('<Gather');

    const padded = await post(`${path}${'&'.repeat(1500)}&step=operator&turn=41`, fields, signature);
    expect(padded.status).toBe(400);
    expect(padded.text).not.toContain('<Dial');
    expect(JSON.parse(padded.text)).toMatchObject({ error: expect.stringMatching(/query/i) });
  });

  it('refuses a correctly signed query padded past what the route takes, without empty pairs too', async () => {
    useSettings({ PHONE_FLOWS: ivr });
    const many = `step=menu&turn=1${'&x=1'.repeat(1500)}`;
    const reply = await signed(`/api/twilio/flow/step?${many}`, call());
    expect(reply.status).toBe(400);
  });
});

describe.each(ROUTES)('signed route $path', ({ path, query, fields }) => {
  it('answers its own signed request', async () => {
    const reply = await signed(withQuery(path, query), fields());
    expect(reply.status, reply.text).toBeLessThan(300);
  });

  it('refuses a repeated query parameter in every position, even when signed, naming it', async () => {
    const pairs = query ? query.split('&') : ['x=1'];
    for (const [index, pair] of pairs.entries()) {
      const name = pair.split('=')[0]!;
      for (let at = 0; at <= pairs.length; at++) {
        const repeated = [...pairs];
        repeated.splice(at, 0, `${name}=${index === 0 ? 'operator' : '41'}`);
        const attempt = `${path}?${repeated.join('&')}`;
        const reply = await signed(attempt, fields());
        expect(reply.status, attempt).toBe(400);
        expect(reply.text, attempt).toContain(`"${name}"`);
        expect(reply.text, attempt).toMatch(/more than once/);
      }
    }
  });

  it('refuses the signed request resent with its query re-encoded, a trailing & or a #fragment', async () => {
    const f = fields();
    const original = withQuery(path, query);
    const signature = sign(original, f);
    const variants = [
      query ? withQuery(path, query.replace('e', '%65')) : `${path}?%65=1`,
      query ? `${original}&` : `${path}?&`,
      `${original}#step=operator`,
      `${original}${query ? '&' : '?'}step=operator`,
    ];
    for (const variant of variants) {
      const reply = await post(variant, f, signature);
      expect([400, 403], variant).toContain(reply.status);
    }
    const trailing = await signed(query ? `${original}&` : `${path}?&`, f);
    expect(trailing.status).toBe(400);
    expect(trailing.text).toMatch(/empty query parameter/);
  });

  it('checks a URL that ends in a bare ? as Twilio signed it, ? included (item 8)', async () => {
    if (query) return;
    const reply = await signed(`${path}?`, fields());
    expect(reply.status, reply.text).toBeLessThan(300);
  });
});

describe('a form field every object has', () => {
  it('is a field like any other: added to a signed body, it breaks the signature (403)', async () => {
    const fields = sms();
    const path = '/api/twilio/sms';
    const signature = sign(path, fields);
    for (const name of ['__proto__', 'constructor']) {
      const reply = await post(path, { ...fields, [name]: 'x' }, signature);
      expect(reply.status, name).toBe(403);
    }
  });

  it('is signed and read as a field when Twilio sends it', async () => {
    expect((await signed('/api/twilio/sms', { ...sms(), ['__proto__']: 'x', ['constructor']: 'y' })).status).toBe(200);
  });
});

describe('the same attacks in-process, where HttpRequest.query keeps the first copy', () => {
  it('refuses a signed repeated step and a padded query on the flow route', async () => {
    const origin = 'https://voice.example.com';
    const repeated = await invoke(flowWebhook, {
      ...signedForm(`${origin}/api/twilio/flow/step?step=operator&step=menu&turn=1`, call()),
      params: { kind: 'step' },
    });
    expect(repeated.response.status).toBe(400);
    const url = `${origin}/api/twilio/flow/step?step=menu&turn=1`;
    const fields = call();
    const request = signedForm(url, fields);
    const padded = await invoke(flowWebhook, {
      ...request,
      url: `${url}${'&'.repeat(1500)}&step=operator&turn=41`,
      params: { kind: 'step' },
    });
    expect(padded.response.status).toBe(400);
  });

  it("acts on the signed URL's query whatever the host's reading of it (HttpRequest.query) says", async () => {
    useSettings({ PHONE_FLOWS: ivr });
    const url = 'https://voice.example.com/api/twilio/flow/step?step=menu&turn=1';
    const { headers, body } = signedForm(url, call());
    const request = new HttpRequest({
      method: 'POST',
      url,
      headers,
      query: { step: 'operator', turn: '41' },
      params: { kind: 'step' },
      body: { string: body },
    });
    const response = (await flowWebhook(request, new InvocationContext())) as HttpResponseInit;
    expect(response.status ?? 200).toBe(200);
    expect(String(response.body)).toContain('<Gather');
    expect(String(response.body)).not.toContain('<Dial');
  });

  it('checks a webhook URL that ends in a bare ?, ? included (item 8)', async () => {
    const result = await invoke(smsWebhook, signedForm('https://voice.example.com/api/twilio/sms?', sms()));
    expect(result.response.status, result.text).toBe(200);
  });
});

describe('a turn, at, try or leg the app did not write (item 6)', () => {
  const NOT_WRITTEN = ['1e20', '-1', 'NaN', '1.5', '0x10', '', 'Infinity', '01', ' 1'];
  const base = { turn: '1', at: '0', try: '1' };

  it.each(['turn', 'at', 'try'])('refuses %s that is not a whole number the app wrote, naming it', async (name) => {
    for (const value of NOT_WRITTEN) {
      const query = new URLSearchParams({ step: 'menu', ...base, [name]: value }).toString();
      const reply = await signed(`/api/twilio/flow/gather?${query}`, { ...call(), Digits: '2' });
      expect(reply.status, `${name}=${JSON.stringify(value)}`).toBe(400);
      expect(JSON.parse(reply.text), `${name}=${JSON.stringify(value)}`).toMatchObject({
        problems: [{ field: name }],
      });
    }
  });

  it('refuses a leg that is not a whole number, and a missing turn', async () => {
    const leg = await signed('/api/twilio/flow/dial?step=sales&at=0&leg=1e20&turn=2', call());
    expect(JSON.parse(leg.text)).toMatchObject({ problems: [{ field: 'leg' }] });
    const missing = await signed('/api/twilio/flow/step?step=menu', call());
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text)).toMatchObject({ problems: [{ field: 'turn', message: 'is missing' }] });
  });

  it('answers a replayed turn as it was answered the first time', async () => {
    const fields = call();
    const path = '/api/twilio/flow/gather?step=menu&at=0&try=1&turn=1';
    const first = await signed(path, { ...fields, Digits: '2' });
    expect(first.text).toContain('<Dial');
    const again = await signed(path, { ...fields, Digits: '3' });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
  });
});

describe('a name from a request that every object has (item 5)', () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
  const byKind: Record<string, (step: string) => [string, Record<string, string>]> = {
    step: (step) => [`step=${step}&turn=1`, call()],
    gather: (step) => [`step=${step}&at=0&try=1&turn=1`, { ...call(), Digits: step }],
    dial: (step) => [`step=${step}&at=0&leg=0&turn=1`, { ...call(), DialCallStatus: step }],
    record: (step) => [`step=${step}&at=0&turn=1`, call()],
    recording: (step) => [`step=${step}&at=0`, recording()],
    whisper: (step) => [`step=${step}&at=0`, call()],
  };

  it.each(Object.keys(byKind))('never answers 500 on /api/twilio/flow/%s', async (kind) => {
    for (const name of NAMES) {
      const [query, fields] = byKind[kind]!(name);
      const reply = await signed(`/api/twilio/flow/${kind}?${query}`, fields);
      expect(reply.status, `${kind} ${name}`).toBeLessThan(300);
    }
  });

  it('never answers 500 as a text body, a call status or a gather input', async () => {
    for (const name of NAMES) {
      expect((await signed('/api/twilio/sms', { ...sms(), Body: name })).status).toBe(200);
      expect((await signed('/api/twilio/status', { ...call(), CallStatus: name })).status).toBeLessThan(300);
      const gather = await signed('/api/twilio/flow/gather?step=menu&at=0&try=1&turn=1', {
        ...call(),
        Digits: name,
        SpeechResult: name,
      });
      expect(gather.status).toBe(200);
    }
  });
});

describe('log lines a caller can forge (item 7)', () => {
  it('writes a CallSid or a step with a newline as one escaped log line', async () => {
    logs.length = 0;
    const forged = '\n[2026-11-29T20:00:00.000Z] voiceWebhook: fake line';
    await signed('/api/twilio/voice/fallback', { ...call(), CallSid: `CA1${forged}` });
    await signed(
      `/api/twilio/flow/gather?${new URLSearchParams({ step: `gone${forged}`, at: '0', try: '1', turn: '1' })}`,
      {
        ...call(),
        CallSid: `${newCallSid()}${forged}`,
      },
    );
    const lines = logs.join('\n').split('\n');
    expect(lines.filter((line) => line.includes('fake line')).length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^\[(information|warning|error)\] \w+: /);
  });
});
