import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getCall } from '../../functions/getCall';
import { getMessage } from '../../functions/getMessage';
import { makeCall } from '../../functions/makeCall';
import { sendSms } from '../../functions/sendSms';
import { startFakeTwilio } from '../support/fakeTwilio';
import { invoke, jsonRequest } from '../support/invoke';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER, useSettings } from '../support/settings';

const callsUrl = 'http://localhost:7071/api/calls';
const messagesUrl = 'http://localhost:7071/api/messages';
const to = '+15550002222';

let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
beforeAll(async () => {
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
});
afterAll(() => fake.close());
beforeEach(() => {
  useSettings({ TWILIO_API_BASE_URL: fake.url });
  fake.received.length = 0;
});

const lastForm = () => fake.received.at(-1)?.form ?? {};

describe('makeCall', () => {
  it('places a call answered by our own voice webhook, from the configured number', async () => {
    const result = await invoke(makeCall, jsonRequest(callsUrl, { to }));
    expect(result.response.status).toBe(201);
    const body = result.json() as { sid: string };
    expect(body).toEqual({
      sid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      status: 'queued',
      to,
      from: TEST_PHONE_NUMBER,
    });
    expect(fake.received.at(-1)?.path).toBe(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`);
    expect(lastForm()).toMatchObject({
      To: [to],
      From: [TEST_PHONE_NUMBER],
      Url: ['http://localhost:7071/api/twilio/voice'],
      Method: ['POST'],
    });
  });

  it('points the call at PUBLIC_BASE_URL when it is set', async () => {
    useSettings({ TWILIO_API_BASE_URL: fake.url, PUBLIC_BASE_URL: 'https://phone.example.com' });
    await invoke(makeCall, jsonRequest(callsUrl, { to }));
    expect(lastForm().Url).toEqual(['https://phone.example.com/api/twilio/voice']);
  });

  it('speaks `say` with inline TwiML and passes `twiml` and `url` through', async () => {
    await invoke(makeCall, jsonRequest(callsUrl, { to, from: '+15550003333', say: 'Your code is 1 2 3' }));
    expect(lastForm()).toMatchObject({
      From: ['+15550003333'],
      Twiml: ['<?xml version="1.0" encoding="UTF-8"?><Response><Say>Your code is 1 2 3</Say></Response>'],
    });
    expect(lastForm().Url).toBeUndefined();

    await invoke(makeCall, jsonRequest(callsUrl, { to, twiml: '<Response><Hangup/></Response>' }));
    expect(lastForm().Twiml).toEqual(['<Response><Hangup/></Response>']);

    await invoke(makeCall, jsonRequest(callsUrl, { to, url: 'https://handler.example.com/answer?x=1' }));
    expect(lastForm().Url).toEqual(['https://handler.example.com/answer?x=1']);
  });

  it("with flow.step, the callee hears that step: the call is answered by the flow's step route", async () => {
    useSettings({ TWILIO_API_BASE_URL: fake.url, PHONE_FLOWS: 'flows/examples/ivr.json' });
    const result = await invoke(makeCall, jsonRequest(callsUrl, { to, flow: { step: 'support' } }));
    expect(result.response.status).toBe(201);
    expect(lastForm().Url).toEqual(['http://localhost:7071/api/twilio/flow/step?step=support&turn=1']);
    await invoke(makeCall, jsonRequest(callsUrl, { to, flow: {} }));
    expect(lastForm().Url).toEqual(['http://localhost:7071/api/twilio/voice']);
  });

  it('passes machineDetection and its timeouts to Twilio', async () => {
    await invoke(makeCall, jsonRequest(callsUrl, { to, machineDetection: 'Enable' }));
    expect(lastForm().MachineDetection).toEqual(['Enable']);
    const detection = {
      mode: 'DetectMessageEnd',
      timeout: 30,
      speechThreshold: 2400,
      speechEndThreshold: 1200,
      silenceTimeout: 5000,
    };
    await invoke(makeCall, jsonRequest(callsUrl, { to, machineDetection: detection }));
    expect(lastForm()).toMatchObject({
      MachineDetection: ['DetectMessageEnd'],
      MachineDetectionTimeout: ['30'],
      MachineDetectionSpeechThreshold: ['2400'],
      MachineDetectionSpeechEndThreshold: ['1200'],
      MachineDetectionSilenceTimeout: ['5000'],
    });
  });

  it('with an Idempotency-Key, the key covers the flow too: another step with the same key is refused', async () => {
    useSettings({ TWILIO_API_BASE_URL: fake.url, PHONE_FLOWS: 'flows/examples/ivr.json' });
    const keyed = (step: string) => {
      const request = jsonRequest(callsUrl, { to, flow: { step } });
      return { ...request, headers: { ...request.headers, 'Idempotency-Key': `flow-${process.pid}-${Date.now()}` } };
    };
    const first = keyed('support');
    expect((await invoke(makeCall, first)).response.status).toBe(201);
    expect((await invoke(makeCall, first)).response.status).toBe(201);
    const other = { ...keyed('sales'), headers: first.headers };
    expect((await invoke(makeCall, other)).response.status).toBe(422);
    expect(fake.received.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it.each([
    [
      { step: 'nowhere' },
      'flow.step',
      expect.stringContaining('is not a step of the voice flow: "nowhere" (steps: welcome, menu'),
    ],
    [{ step: 'constructor' }, 'flow.step', expect.stringContaining('is not a step of the voice flow')],
    [{ step: 'menu', variables: { name: 'Ann' } }, 'flow.variables', expect.stringContaining('not supported yet')],
  ])('refuses flow %j with 400 naming %s, before Twilio', async (flow, field, message) => {
    useSettings({ TWILIO_API_BASE_URL: fake.url, PHONE_FLOWS: 'flows/examples/ivr.json' });
    const result = await invoke(makeCall, jsonRequest(callsUrl, { to, flow }));
    expect(result.response.status).toBe(400);
    expect(result.json()).toEqual({ error: 'Invalid request', problems: [{ field, message }] });
    expect(fake.received).toHaveLength(0);
  });

  it.each([
    [{}, 'to', 'is required'],
    [{ to: '5550002222' }, 'to', 'must be a phone number in E.164, like +15550100000'],
    [{ to, from: 'client:alice' }, 'from', 'must be a phone number in E.164, like +15550100000'],
    [{ to, say: '' }, 'say', 'must not be empty'],
    [{ to, say: 'x'.repeat(4001) }, 'say', 'must be at most 4000 characters'],
    [{ to, twiml: '<Response><Say>Hi</Response>' }, 'twiml', expect.stringContaining('not well-formed XML')],
    [{ to, twiml: '<Say>Hi</Say>' }, 'twiml', 'must have one <Response> as its root element'],
    [
      { to, twiml: `<Response>${'<Pause>'.repeat(101)}${'</Pause>'.repeat(101)}</Response>` },
      'twiml',
      expect.stringContaining('cannot be read as TwiML'),
    ],
    [
      { to, twiml: '<!DOCTYPE r [<!ENTITY x "y">]><Response><Say>&x;</Say></Response>' },
      'twiml',
      'must not contain a DOCTYPE',
    ],
    [{ to, url: 'http://handler.example.com/answer' }, 'url', 'must use https (http is allowed for localhost only)'],
    [{ to, url: 'ftp://handler.example.com/' }, 'url', 'must be a URL'],
    [{ to, say: 'Hi', url: 'https://handler.example.com/' }, 'say', 'give at most one of say, twiml, url or flow'],
    [{ to, callerId: '+15550001111' }, 'callerId', 'is not a known field'],
    [{ to: 15550002222 }, 'to', 'must be text (a string)'],
    [{ to, say: 'Hi', flow: { step: 'menu' } }, 'say', 'give at most one of say, twiml, url or flow'],
    [{ to, flow: { step: '' } }, 'flow.step', 'Too small: expected string to have >=1 characters'],
    [{ to, machineDetection: { mode: 'Enable', timeout: 60 } }, 'machineDetection.timeout', 'must be 3 to 59 s'],
  ])('refuses %j with 400 naming %s', async (body, field, message) => {
    const result = await invoke(makeCall, jsonRequest(callsUrl, body));
    expect(result.response.status).toBe(400);
    expect(result.json()).toEqual({ error: 'Invalid request', problems: expect.arrayContaining([{ field, message }]) });
    expect(fake.received).toHaveLength(0);
  });

  it('refuses a body that is not JSON, the wrong content type, an empty body and a 2 MB body', async () => {
    const notJson = await invoke(makeCall, { ...jsonRequest(callsUrl, '{"to": '), body: '{"to": ' });
    expect([notJson.response.status, notJson.json()]).toEqual([400, { error: 'Body is not valid JSON' }]);

    const form = await invoke(makeCall, {
      url: callsUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `To=${to}`,
    });
    expect([form.response.status, form.json()]).toEqual([
      415,
      { error: 'Content-Type must be application/json, not application/x-www-form-urlencoded' },
    ]);

    const empty = await invoke(makeCall, { url: callsUrl, headers: { 'content-type': 'application/json' } });
    expect(empty.response.status).toBe(400);

    const huge = await invoke(makeCall, jsonRequest(callsUrl, { to, say: 'x'.repeat(2 * 1024 * 1024) }));
    expect([huge.response.status, huge.json()]).toEqual([413, { error: 'Body is larger than 64 KiB' }]);
    expect(fake.received).toHaveLength(0);
  });
});

describe('what makeCall and sendSms record', () => {
  const readRecord = async (sid: string) => {
    const handler = sid.startsWith('CA') ? getCall : getMessage;
    const result = await invoke(handler, { method: 'GET', url: `${callsUrl}/${sid}`, params: { sid } });
    return [result.response.status, result.json()] as const;
  };

  it('asks Twilio for call progress at our statusCallback and records the call as Twilio answered it', async () => {
    useSettings({ TWILIO_API_BASE_URL: fake.url, PUBLIC_BASE_URL: 'https://phone.example.com' });
    const { sid } = (await invoke(makeCall, jsonRequest(callsUrl, { to }))).json() as { sid: string };
    expect(lastForm()).toMatchObject({
      StatusCallback: ['https://phone.example.com/api/twilio/status'],
      StatusCallbackMethod: ['POST'],
      StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    expect(await readRecord(sid)).toEqual([
      200,
      expect.objectContaining({
        sid,
        direction: 'outbound',
        from: TEST_PHONE_NUMBER,
        to,
        status: 'queued',
        events: [expect.objectContaining({ status: 'queued', source: 'api' })],
      }),
    ]);
  });

  it('asks for message status at our statusCallback and records the text with its body and media', async () => {
    const mediaUrl = ['https://cdn.example.com/a.png'];
    const { sid } = (await invoke(sendSms, jsonRequest(messagesUrl, { to, body: 'Hello', mediaUrl }))).json() as {
      sid: string;
    };
    expect(lastForm().StatusCallback).toEqual(['http://localhost:7071/api/twilio/status']);
    expect(await readRecord(sid)).toEqual([
      200,
      expect.objectContaining({ sid, status: 'accepted', body: 'Hello', mediaUrls: mediaUrl }),
    ]);
  });

  it('still answers 201 with the SID when storage is down: Twilio has acted, and the callbacks will record it', async () => {
    useSettings({
      TWILIO_API_BASE_URL: fake.url,
      AzureWebJobsStorage:
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
    });
    const result = await invoke(makeCall, jsonRequest(callsUrl, { to }));
    expect(result.response.status).toBe(201);
    const { sid } = result.json() as { sid: string };
    expect(result.logs).toContainEqual({
      level: 'warning',
      message: expect.stringMatching(
        new RegExp(
          `^${sid} was created but not recorded yet \\(Record storage is unavailable: .*\\); its status callbacks will record it$`,
        ),
      ),
    });
  });
});

describe('sendSms', () => {
  it('sends a message from the configured number', async () => {
    const result = await invoke(sendSms, jsonRequest(messagesUrl, { to, body: 'Hello from Azure' }));
    expect(result.response.status).toBe(201);
    expect(result.json()).toEqual({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      status: 'accepted',
      to,
      from: TEST_PHONE_NUMBER,
    });
    expect(fake.received.at(-1)?.path).toBe(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Messages.json`);
    expect(lastForm()).toMatchObject({ To: [to], From: [TEST_PHONE_NUMBER], Body: ['Hello from Azure'] });
  });

  it('sends media URLs as repeated MediaUrl fields', async () => {
    const mediaUrl = ['https://cdn.example.com/a.png', 'https://cdn.example.com/b.png'];
    await invoke(sendSms, jsonRequest(messagesUrl, { to, body: 'pics', mediaUrl }));
    expect(lastForm().MediaUrl).toEqual(mediaUrl);
  });

  it.each([
    [{ to }, 'body', 'is required'],
    [{ to, body: '' }, 'body', 'must not be empty'],
    [{ to, body: 'x'.repeat(1601) }, 'body', 'must be at most 1600 characters'],
    [{ to: '+1', body: 'hi' }, 'to', 'must be a phone number in E.164, like +15550100000'],
    [{ to, from: 'anonymous', body: 'hi' }, 'from', 'must be a phone number in E.164, like +15550100000'],
    [{ to, body: 'hi', mediaUrl: ['http://cdn.example.com/a.png'] }, 'mediaUrl.0', 'must be an https URL'],
    [
      { to, body: 'hi', mediaUrl: Array(11).fill('https://cdn.example.com/a.png') },
      'mediaUrl',
      'must have at most 10 items',
    ],
    [{ to, body: 'hi', statusCallback: 'https://x' }, 'statusCallback', 'is not a known field'],
  ])('refuses %j with 400 naming %s', async (body, field, message) => {
    const result = await invoke(sendSms, jsonRequest(messagesUrl, body));
    expect(result.response.status).toBe(400);
    expect(result.json()).toEqual({ error: 'Invalid request', problems: expect.arrayContaining([{ field, message }]) });
    expect(fake.received).toHaveLength(0);
  });
});

describe('Twilio errors', () => {
  it.each([
    [{ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." }, 400],
    [{ status: 401, code: 20003, message: 'Authenticate' }, 401],
    [{ status: 500, code: 20500, message: 'Internal Server Error' }, 502],
  ])('maps %j to %i with Twilio code, message and moreInfo', async (failure, status) => {
    fake.failNext(failure);
    const result = await invoke(sendSms, jsonRequest(messagesUrl, { to, body: 'hi' }));
    expect(result.response.status).toBe(status);
    expect(result.json()).toEqual({
      error: 'Twilio refused the request',
      twilio: {
        status: failure.status,
        code: failure.code,
        message: failure.message,
        moreInfo: `https://www.twilio.com/docs/errors/${failure.code}`,
      },
    });
  });

  it('answers 401 code 20003 when our credentials are wrong, without echoing them', async () => {
    useSettings({ TWILIO_API_BASE_URL: fake.url, TWILIO_AUTH_TOKEN: 'wrong-token-value' });
    const result = await invoke(makeCall, jsonRequest(callsUrl, { to }));
    expect(result.response.status).toBe(401);
    expect((result.json() as { twilio: { code: number } }).twilio.code).toBe(20003);
    expect(result.text).not.toContain('wrong-token-value');
    expect(result.logs.map((log) => log.message).join('\n')).not.toContain('wrong-token-value');
  });

  it('answers 502 when Twilio cannot be reached', async () => {
    useSettings({ TWILIO_API_BASE_URL: 'http://127.0.0.1:9' });
    const result = await invoke(makeCall, jsonRequest(callsUrl, { to }));
    expect([result.response.status, result.json()]).toEqual([
      502,
      { error: 'Twilio could not be reached', outcome: 'not-sent', hint: expect.any(String) },
    ]);
    expect(result.logs.map((log) => log.message).join('\n')).not.toContain(TEST_AUTH_TOKEN);
  });
});
