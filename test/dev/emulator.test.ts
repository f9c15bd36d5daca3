import { randomBytes } from 'node:crypto';
import type { Twilio } from 'twilio';
import { CallInstance } from 'twilio/lib/rest/api/v2010/account/call';
import { IncomingPhoneNumberInstance } from 'twilio/lib/rest/api/v2010/account/incomingPhoneNumber';
import { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { twilioClientFor } from '../../dev/cli/twilio';
import { sendWebhook, startEmulator, type Emulator } from '../../dev/emulator/index';
import { startTwimlApp, twiml } from './emulatorTwimlApp';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const OUR_NUMBER = '+15550100000';
const CALLEE = '+15550002222';

let emulator: Emulator;
let app: Awaited<ReturnType<typeof startTwimlApp>>;
let client: Twilio;

beforeAll(async () => {
  app = await startTwimlApp(authToken, {
    '/voice': () => twiml('<Say>Hello Monkey!</Say>'),
    '/status': () => ({ body: '', type: 'text/plain' }),
  });
  emulator = await startEmulator({ accountSid, authToken, phoneNumbers: [OUR_NUMBER, '+15550100001'] });
  client = await twilioClientFor({ accountSid, authToken, apiBaseUrl: emulator.url, source: 'settings' });
});
afterAll(async () => {
  await emulator.stop();
  await app.close();
});
afterEach(() => emulator.setScript({}));

const restError = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught as { status: number; code: number; message: string; moreInfo: string },
  );
  expect(error, 'the request should have failed').toBeDefined();
  return { status: error!.status, code: error!.code, message: error!.message, moreInfo: error!.moreInfo };
};

describe('Twilio emulator REST API through the real twilio SDK', () => {
  it('creates a call the SDK reads as a CallInstance, then runs it to completed', async () => {
    const call = await client.calls.create({ to: CALLEE, from: OUR_NUMBER, url: `${app.url}/voice` });
    expect(call).toBeInstanceOf(CallInstance);
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call).toMatchObject({
      status: 'queued',
      to: CALLEE,
      from: OUR_NUMBER,
      direction: 'outbound-api',
      apiVersion: '2010-04-01',
      accountSid,
    });
    expect(call.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(call.dateCreated.getTime())).toBe(false);
    expect(call.uri).toBe(`/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`);

    await emulator.waitForCall(call.sid);
    const fetched = await client.calls(call.sid).fetch();
    expect(fetched).toBeInstanceOf(CallInstance);
    expect(fetched.status).toBe('completed');
    expect(Number(fetched.duration)).toBeGreaterThan(0);
    expect(fetched.startTime).toBeInstanceOf(Date);
    expect(fetched.endTime).toBeInstanceOf(Date);
    expect(emulator.transcript(call.sid)).toEqual([{ verb: 'Say', text: 'Hello Monkey!' }]);
  });

  it('creates and fetches messages as MessageInstances', async () => {
    const message = await client.messages.create({ to: CALLEE, from: OUR_NUMBER, body: 'Ahoy' });
    expect(message).toBeInstanceOf(MessageInstance);
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message).toMatchObject({
      status: 'queued',
      body: 'Ahoy',
      to: CALLEE,
      from: OUR_NUMBER,
      numSegments: '1',
      numMedia: '0',
      errorCode: null,
    });
    expect(message.dateCreated).toBeInstanceOf(Date);
    await emulator.waitForMessage(message.sid);
    const fetched = await client.messages(message.sid).fetch();
    expect(fetched).toBeInstanceOf(MessageInstance);
    expect(fetched.status).toBe('delivered');
    expect(fetched.dateSent).toBeInstanceOf(Date);
  });

  it('lists numbers by PhoneNumber and updates their webhooks as IncomingPhoneNumberInstances', async () => {
    const [number, ...others] = await client.incomingPhoneNumbers.list({ phoneNumber: OUR_NUMBER });
    expect(others).toEqual([]);
    expect(number).toBeInstanceOf(IncomingPhoneNumberInstance);
    expect(number).toMatchObject({
      phoneNumber: OUR_NUMBER,
      voiceUrl: null,
      smsUrl: null,
      statusCallback: null,
      capabilities: { voice: true, sms: true },
    });
    expect(number!.sid).toMatch(/^PN[0-9a-f]{32}$/);
    expect(await client.incomingPhoneNumbers.list()).toHaveLength(2);

    const updated = await client.incomingPhoneNumbers(number!.sid).update({
      voiceUrl: 'https://example.test/api/twilio/voice#rc=3',
      voiceMethod: 'POST',
      smsUrl: 'https://example.test/api/twilio/sms',
    });
    expect(updated).toBeInstanceOf(IncomingPhoneNumberInstance);
    expect(updated).toMatchObject({
      voiceUrl: 'https://example.test/api/twilio/voice#rc=3',
      voiceMethod: 'POST',
      smsUrl: 'https://example.test/api/twilio/sms',
    });
    const [again] = await client.incomingPhoneNumbers.list({ phoneNumber: OUR_NUMBER });
    expect(again!.voiceUrl).toBe('https://example.test/api/twilio/voice#rc=3');
  });

  it('answers with Twilio-shaped errors the SDK raises as RestExceptions', async () => {
    const wrong = await twilioClientFor({
      accountSid,
      authToken: 'not-the-token',
      apiBaseUrl: emulator.url,
      source: 'settings',
    });
    expect(await restError(wrong.calls.create({ to: CALLEE, from: OUR_NUMBER, url: `${app.url}/voice` }))).toEqual({
      status: 401,
      code: 20003,
      message: 'Authenticate',
      moreInfo: 'https://www.twilio.com/docs/errors/20003',
    });
    expect(
      await restError(client.calls.create({ to: 'not a number', from: OUR_NUMBER, url: `${app.url}/voice` })),
    ).toMatchObject({
      status: 400,
      code: 21211,
    });
    expect(await restError(client.calls(`CA${'0'.repeat(32)}`).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await restError(client.messages(`SM${'0'.repeat(32)}`).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(
      await restError(client.calls.create({ to: CALLEE, from: '+15559999999', url: `${app.url}/voice` })),
    ).toMatchObject({ code: 21210 });
    expect(await restError(client.calls.create({ to: CALLEE, from: OUR_NUMBER }))).toMatchObject({
      status: 400,
      code: 21205,
    });
    expect(await restError(client.messages.create({ to: '', from: OUR_NUMBER, body: 'x' }))).toMatchObject({
      status: 400,
      code: 21604,
    });
    expect(await restError(client.messages.create({ to: CALLEE, from: OUR_NUMBER, body: '' }))).toMatchObject({
      status: 400,
      code: 21602,
    });
    expect(await restError(client.messages.create({ to: CALLEE, from: '+15559999999', body: 'x' }))).toMatchObject({
      code: 21606,
    });
    expect(await restError(client.messages.create({ to: '12', from: OUR_NUMBER, body: 'x' }))).toMatchObject({
      code: 21211,
    });
  });

  it('answers raw HTTP like Twilio: JSON error bodies, 401 with a Basic challenge', async () => {
    const response = await fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Calls.json`, { method: 'POST' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(await response.json()).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
  });
});

describe('calls run like Twilio runs them', () => {
  /** A call to the test app's /voice with status callbacks to its /status, once the emulator has finished it. */
  const callWithStatus = async (options: { statusCallbackEvent?: string[] } = {}) => {
    const call = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      url: `${app.url}/voice`,
      statusCallback: `${app.url}/status`,
      ...options,
    });
    await emulator.waitForCall(call.sid);
    return call;
  };

  it('requests the TwiML with a signed POST carrying the fields Twilio sends', async () => {
    const call = await client.calls.create({ to: CALLEE, from: OUR_NUMBER, url: `${app.url}/voice?tenant=a%20b` });
    await emulator.waitForCall(call.sid);
    const [voice] = app.received.filter((request) => request.params.CallSid === call.sid && request.path === '/voice');
    expect(voice).toBeDefined();
    expect(voice!.signatureValid).toBe(true);
    expect(voice!.url).toContain('?tenant=a%20b');
    expect(voice!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(voice!.params).toMatchObject({
      AccountSid: accountSid,
      CallSid: call.sid,
      From: OUR_NUMBER,
      To: CALLEE,
      Caller: OUR_NUMBER,
      Called: CALLEE,
      CallStatus: 'in-progress',
      Direction: 'outbound-api',
      ApiVersion: '2010-04-01',
    });
  });

  it('sends signed status callbacks for the requested events, in sequence, completed with CallDuration', async () => {
    const call = await callWithStatus({ statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'] });
    const callbacks = app.on('/status').filter((request) => request.params.CallSid === call.sid);
    expect(callbacks.map((request) => [request.params.CallStatus, request.params.SequenceNumber])).toEqual([
      ['initiated', '0'],
      ['ringing', '1'],
      ['in-progress', '2'],
      ['completed', '3'],
    ]);
    for (const callback of callbacks) {
      expect(callback.signatureValid).toBe(true);
      expect(callback.params).toMatchObject({
        CallbackSource: 'call-progress-events',
        AccountSid: accountSid,
        Direction: 'outbound-api',
      });
      expect(Number.isNaN(Date.parse(callback.params.Timestamp!))).toBe(false);
    }
    expect(callbacks.slice(0, 3).every((callback) => callback.params.CallDuration === undefined)).toBe(true);
    expect(Number(callbacks[3]!.params.CallDuration)).toBeGreaterThan(0);
  });

  it('sends only the completed callback when no events are named', async () => {
    const call = await callWithStatus();
    const callbacks = app.on('/status').filter((request) => request.params.CallSid === call.sid);
    expect(callbacks.map((request) => request.params.CallStatus)).toEqual(['completed']);
    expect(callbacks[0]!.params.SequenceNumber).toBe('0');
  });

  it('runs inline Twiml without requesting anything', async () => {
    const before = app.received.length;
    const call = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      twiml: twiml('<Say>Inline</Say><Pause length="2"/>'),
    });
    await emulator.waitForCall(call.sid);
    expect(app.received.length).toBe(before);
    expect(emulator.transcript(call.sid)).toEqual([
      { verb: 'Say', text: 'Inline' },
      { verb: 'Pause', text: '2 s' },
    ]);
  });

  it('lets a scripted callee not answer: no TwiML request, completed callback with the outcome', async () => {
    emulator.setScript({ callOutcome: 'busy' });
    const call = await callWithStatus();
    expect(app.received.some((request) => request.path === '/voice' && request.params.CallSid === call.sid)).toBe(
      false,
    );
    expect((await client.calls(call.sid).fetch()).status).toBe('busy');
    const [callback] = app.on('/status').filter((request) => request.params.CallSid === call.sid);
    expect(callback!.params).toMatchObject({ CallStatus: 'busy', CallDuration: '0' });
  });

  it('reports a failing TwiML app as Twilio error 11200 and still completes the call', async () => {
    const call = await client.calls.create({ to: CALLEE, from: OUR_NUMBER, url: `${app.url}/missing` });
    const ended = await emulator.waitForCall(call.sid);
    expect(ended.error).toMatchObject({ code: 11200 });
    expect(ended.error!.message).toContain('HTTP 404');
    expect(ended.status).toBe('completed');
    expect(emulator.transcript(call.sid).at(-1)).toMatchObject({ verb: 'Error' });
  });

  it('follows a call over HTTP: GET /_emulator/calls/{sid} with the transcript, behind Basic auth', async () => {
    const call = await client.calls.create({ to: CALLEE, from: OUR_NUMBER, url: `${app.url}/voice` });
    const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    const response = await fetch(`${emulator.url}/_emulator/calls/${call.sid}?wait=5`, { headers: { authorization } });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { done: boolean; call: { status: string }; transcript: unknown[] };
    expect(report).toMatchObject({
      done: true,
      call: { status: 'completed' },
      transcript: [{ verb: 'Say', text: 'Hello Monkey!' }],
    });
    expect((await fetch(`${emulator.url}/_emulator/calls/${call.sid}`)).status).toBe(401);
  });
});

describe('messages created through the API', () => {
  it('send signed status callbacks sent, delivered (none for the initial queued)', async () => {
    const message = await client.messages.create({
      to: CALLEE,
      from: OUR_NUMBER,
      body: 'Hi',
      statusCallback: `${app.url}/status`,
    });
    await emulator.waitForMessage(message.sid);
    const callbacks = app.on('/status').filter((request) => request.params.MessageSid === message.sid);
    expect(callbacks.map((request) => request.params.MessageStatus)).toEqual(['sent', 'delivered']);
    for (const callback of callbacks) {
      expect(callback.signatureValid).toBe(true);
      expect(callback.params).toMatchObject({
        AccountSid: accountSid,
        SmsSid: message.sid,
        From: OUR_NUMBER,
        To: CALLEE,
        ApiVersion: '2010-04-01',
      });
      expect(callback.params.SmsStatus).toBe(callback.params.MessageStatus);
      expect(callback.params.ErrorCode).toBeUndefined();
    }
  });

  it('fail as scripted: undelivered after sent with ErrorCode, or failed', async () => {
    emulator.setScript({ messageFailure: { errorCode: 30003 } });
    const undelivered = await client.messages.create({
      to: CALLEE,
      from: OUR_NUMBER,
      body: 'Hi',
      statusCallback: `${app.url}/status`,
    });
    emulator.setScript({ messageFailure: { errorCode: 30007, status: 'failed' } });
    const failed = await client.messages.create({
      to: CALLEE,
      from: OUR_NUMBER,
      body: 'Hi',
      statusCallback: `${app.url}/status`,
    });
    await Promise.all([emulator.waitForMessage(undelivered.sid), emulator.waitForMessage(failed.sid)]);

    const statuses = (sid: string) =>
      app
        .on('/status')
        .filter((request) => request.params.MessageSid === sid)
        .map((request) => [request.params.MessageStatus, request.params.ErrorCode]);
    expect(statuses(undelivered.sid)).toEqual([
      ['sent', undefined],
      ['undelivered', '30003'],
    ]);
    expect(statuses(failed.sid)).toEqual([['failed', '30007']]);
    expect(await client.messages(undelivered.sid).fetch()).toMatchObject({ status: 'undelivered', errorCode: 30003 });
  });
});

describe('webhook signing', () => {
  it("matches Twilio's published test vector", () => {
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675309',
      Digits: '1234',
      From: '+14158675309',
      To: '+18005551212',
    };
    expect(getExpectedTwilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe(
      'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
    );
  });

  it('strips #rc= connection overrides from the request and signs the URL as requested', async () => {
    const result = await sendWebhook(authToken, {
      url: `${app.url}/status?x=1#rc=2&ct=1000`,
      params: { CallSid: 'CA1' },
    });
    expect(result.url).toBe(`${app.url}/status?x=1`);
    const received = app.received.at(-1)!;
    expect(received.url).toBe(`${app.url}/status?x=1`);
    expect(received.signatureValid).toBe(true);
    expect(validateRequest(authToken, result.signature, `${app.url}/status?x=1`, { CallSid: 'CA1' })).toBe(true);
  });

  it('retries a failing webhook as many times as #rc= asks', async () => {
    const flaky = await startTwimlApp(authToken, {
      '/flaky': () => ({ status: 503, body: 'busy', type: 'text/plain' }),
    });
    try {
      const result = await sendWebhook(authToken, { url: `${flaky.url}/flaky#rc=2`, params: {} });
      expect(result).toMatchObject({ attempts: 3, status: 503, error: 'HTTP 503' });
      expect(flaky.received).toHaveLength(3);
    } finally {
      await flaky.close();
    }
  });
});
