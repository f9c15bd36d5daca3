/**
 * The emulator's REST API against Twilio's documentation: every answer the real twilio SDK
 * receives is validated against the operation's schema in Twilio's OpenAPI description
 * (test/support/twilio-oai/), and typed parameters are refused as that description types them.
 */
import { randomBytes } from 'node:crypto';
import type { Twilio } from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/index';
import { recordingTwilioClient, typedParameters, validatedOperations, type Exchange } from '../support/twilioSpec';
import { checkAgainstSpec, startTwimlApp, stopAll, twiml } from './emulatorTwimlApp';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const OUR_NUMBER = '+15550100000';
const CALLEE = '+15550002222';
const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
const ACCOUNT = `/2010-04-01/Accounts/{AccountSid}`;

let emulator: Emulator;
let app: Awaited<ReturnType<typeof startTwimlApp>>;
let client: Twilio;
let exchanges: Exchange[];

const logs: string[] = [];
beforeAll(async () => {
  app = await startTwimlApp(authToken, {
    '/voice': () => twiml('<Say>Hello Monkey!</Say>'),
    '/other': () => twiml('<Say>From the Url</Say>'),
    '/redirected': () => twiml('<Say>Redirected by the API</Say>'),
    '/status': () => ({ body: '', type: 'text/plain' }),
    '/hold': () => 'hang',
  });
  emulator = await startEmulator({
    accountSid,
    authToken,
    phoneNumbers: [OUR_NUMBER, '+15550100001'],
    log: (line) => logs.push(line),
  });
  ({ client, exchanges } = await recordingTwilioClient(emulator.url, accountSid, authToken));
});
afterAll(() => stopAll(emulator, app));
afterEach(() => checkAgainstSpec(emulator, exchanges));

const raw = (path: string, form: Record<string, string>, method = 'POST') =>
  fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}${path}`, {
    method,
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    ...(method === 'GET' ? {} : { body: new URLSearchParams(form) }),
  });

const callbacksOf = (sid: string) =>
  app.on('/status').filter((request) => request.params.CallSid === sid || request.params.MessageSid === sid);

describe('typed parameters are refused as Twilio types them', () => {
  const BAD: Record<string, string> = { enum: 'bogus', integer: 'abc', number: 'abc', boolean: 'maybe' };
  const operations: Array<{ template: string; path: string; base: Record<string, string> }> = [
    {
      template: `${ACCOUNT}/Calls.json`,
      path: '/Calls.json',
      base: { To: CALLEE, From: OUR_NUMBER, Url: 'https://example.test/voice' },
    },
    { template: `${ACCOUNT}/Messages.json`, path: '/Messages.json', base: { To: CALLEE, From: OUR_NUMBER, Body: 'x' } },
    {
      template: `${ACCOUNT}/IncomingPhoneNumbers.json`,
      path: '/IncomingPhoneNumbers.json',
      base: { PhoneNumber: '+15550107777' },
    },
  ];
  for (const { template, path, base } of operations) {
    const typed = typedParameters(template, 'post');
    it(`POST ${path}: each of its ${typed.length} typed parameters with a bad value is a 400 naming it`, async () => {
      expect(typed.length).toBeGreaterThan(0);
      for (const { name, type } of typed) {
        const response = await raw(path, { ...base, [name]: BAD[type]! });
        const body = (await response.json()) as { code: number; message: string; status: number };
        expect({ name, status: response.status }).toEqual({ name, status: 400 });
        expect(body.message).toContain(name);
        expect(body.code).toBe(20001);
      }
    });
  }

  it("refuses the issue's examples: Method=PUT, StatusCallbackEvent=bogus, Timeout=abc, Record=maybe", async () => {
    const base = { To: CALLEE, From: OUR_NUMBER, Url: `${app.url}/voice` };
    const examples: Array<Record<string, string>> = [
      { Method: 'PUT' },
      { StatusCallbackEvent: 'bogus' },
      { Timeout: 'abc' },
      { Record: 'maybe' },
      { Timeout: '601' },
    ];
    for (const bad of examples) {
      const response = await raw('/Calls.json', { ...base, ...bad });
      expect(response.status, JSON.stringify(bad)).toBe(400);
    }
    expect(emulator.calls.size).toBe(0);
  });

  it('list paging is typed as the description types it: PageSize 1 to 1,000, Page from 0', async () => {
    for (const query of ['PageSize=0', 'PageSize=1001', 'PageSize=ten', 'Page=-1']) {
      const response = await fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Messages.json?${query}`, {
        headers: { authorization },
      });
      expect(response.status, query).toBe(400);
    }
  });
});

describe('calls', () => {
  it('create and fetch agree (phone_number_sid included); Url wins over Twiml as documented', async () => {
    const call = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      url: `${app.url}/other`,
      twiml: twiml('<Say>Ignored</Say>'),
    });
    await emulator.waitForCall(call.sid);
    const fetched = await client.calls(call.sid).fetch();
    expect(call.phoneNumberSid).toMatch(/^PN/);
    expect(fetched.phoneNumberSid).toBe(call.phoneNumberSid);
    expect(emulator.transcript(call.sid)).toEqual([{ verb: 'Say', text: 'From the Url' }]);
  });

  it('list with paging (the SDK follows next_page_uri) and filters To, From, Status', async () => {
    const sids: string[] = [];
    for (const to of ['+15550003001', '+15550003002', '+15550003002'])
      sids.push((await client.calls.create({ to, from: OUR_NUMBER, url: `${app.url}/voice` })).sid);
    await Promise.all(sids.map((sid) => emulator.waitForCall(sid)));
    const page = await client.calls.page({ pageSize: 2 });
    expect(page.instances).toHaveLength(2);
    expect(page.nextPageUrl).toBeTruthy();
    const all = await client.calls.list({ pageSize: 1 });
    expect(all.length).toBe(emulator.calls.size);
    expect((await client.calls.list({ to: '+15550003002' })).map((call) => call.sid).sort()).toEqual(
      sids.slice(1).sort(),
    );
    expect(await client.calls.list({ from: '+15550100001' })).toEqual([]);
    expect((await client.calls.list({ status: 'completed' })).length).toBe(emulator.calls.size);
    expect(await client.calls.list({ status: 'busy' })).toEqual([]);
  });

  it('update: Url or Twiml redirects a live call, Status=completed hangs it up, and an ended call refuses both (21220)', async () => {
    const held = await client.calls.create({ to: CALLEE, from: OUR_NUMBER, url: `${app.url}/hold` });
    await expect
      .poll(() => app.on('/hold').some((request) => request.params.CallSid === held.sid), { timeout: 10_000 })
      .toBe(true);
    await client.calls(held.sid).update({ url: `${app.url}/redirected` });
    await emulator.waitForCall(held.sid);
    expect(emulator.transcript(held.sid).map((line) => line.text)).toEqual([
      `redirected through the REST API to ${app.url}/redirected`,
      'Redirected by the API',
    ]);

    const hungUp = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      url: `${app.url}/hold`,
      statusCallback: `${app.url}/status`,
    });
    await expect
      .poll(() => app.on('/hold').some((request) => request.params.CallSid === hungUp.sid), { timeout: 10_000 })
      .toBe(true);
    await client.calls(hungUp.sid).update({ status: 'completed' });
    const ended = await emulator.waitForCall(hungUp.sid);
    expect(ended.status).toBe('completed');
    expect(callbacksOf(hungUp.sid).map((request) => request.params.CallStatus)).toEqual(['completed']);

    const refused = await raw(`/Calls/${hungUp.sid}.json`, { Twiml: twiml('<Say>late</Say>') });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { code: number }).code).toBe(21220);
  });

  it('Record=true records the call: RecordingUrl on the completed callback, the recording status callback, Recordings list', async () => {
    const call = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      url: `${app.url}/voice`,
      statusCallback: `${app.url}/status`,
      record: true,
      recordingStatusCallback: `${app.url}/status`,
    });
    await emulator.waitForCall(call.sid);
    const [completed, recordingStatus] = callbacksOf(call.sid);
    expect(completed!.params).toMatchObject({
      CallStatus: 'completed',
      RecordingSid: expect.stringMatching(/^RE/),
      Duration: '1',
    });
    expect(recordingStatus!.params).toMatchObject({
      RecordingStatus: 'completed',
      RecordingSid: completed!.params.RecordingSid,
      RecordingSource: 'OutboundAPI',
    });
    expect(recordingStatus!.signatureValid).toBe(true);
    const [recording] = await client.calls(call.sid).recordings.list();
    expect(recording).toMatchObject({
      sid: completed!.params.RecordingSid,
      callSid: call.sid,
      source: 'OutboundAPI',
      status: 'completed',
    });
    expect(await client.calls(call.sid).recordings(recording!.sid).fetch()).toMatchObject({ sid: recording!.sid });
    expect(await client.recordings(recording!.sid).fetch()).toMatchObject({
      sid: recording!.sid,
      duration: completed!.params.RecordingDuration,
    });
    expect(await client.recordings(recording!.sid).remove()).toBe(true);
    expect((await raw(`/Recordings/${recording!.sid}.json`, {}, 'GET')).status).toBe(404);
    expect((await raw(`/Recordings/${recording!.sid}.json`, {}, 'DELETE')).status).toBe(404);
    expect(await client.calls(call.sid).recordings.list()).toEqual([]);
  });

  // Answering machine detection has its own file: emulator.amd.test.ts.
  it('MachineDetection answers AnsweredBy as scripted; TimeLimit ends a loop="0" call; SendDigits is sent; a no-answer rings Timeout seconds', async () => {
    emulator.setScript({ answeredBy: 'machine_start' });
    const machine = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      url: `${app.url}/voice`,
      machineDetection: 'Enable',
    });
    await emulator.waitForCall(machine.sid);
    expect(app.on('/voice').find((request) => request.params.CallSid === machine.sid)!.params.AnsweredBy).toBe(
      'machine_start',
    );
    expect((await client.calls(machine.sid).fetch()).answeredBy).toBe('machine_start');
    const dialed = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      url: `${app.url}/voice`,
      sendDigits: '1234#',
    });
    await emulator.waitForCall(dialed.sid);
    expect(emulator.transcript(dialed.sid)[0]).toEqual({ verb: 'SendDigits', text: '1234#' });

    emulator.setScript({});
    const limited = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      twiml: twiml('<Say loop="0">Hold music</Say>'),
      timeLimit: 30,
    });
    await emulator.waitForCall(limited.sid);
    expect((await client.calls(limited.sid).fetch()).duration).toBe('30');

    emulator.setScript({ callOutcome: 'no-answer' });
    const unanswered = await client.calls.create({
      to: CALLEE,
      from: OUR_NUMBER,
      url: `${app.url}/voice`,
      timeout: 15,
    });
    await emulator.waitForCall(unanswered.sid);
    expect(emulator.transcript(unanswered.sid)).toEqual([{ verb: 'Ring', text: 'no answer within Timeout 15 s' }]);
  });
});

describe('messages', () => {
  it('list with paging and filters; num_segments as Twilio counts them (153 GSM-7 / 67 UCS-2 per part)', async () => {
    const to = '+15550004444';
    const bodies = [
      'a'.repeat(160),
      'a'.repeat(161),
      'a'.repeat(306),
      'a'.repeat(307),
      'ж'.repeat(70),
      'ж'.repeat(71),
      'ж'.repeat(135),
      '{'.repeat(80),
      '{'.repeat(81),
    ];
    const created = [];
    for (const body of bodies) created.push(await client.messages.create({ to, from: OUR_NUMBER, body }));
    expect(created.map((message) => message.numSegments)).toEqual(['1', '2', '2', '3', '1', '2', '3', '1', '2']);
    expect(await client.messages.list({ to, pageSize: 4 })).toHaveLength(bodies.length);
    expect(await client.messages.list({ to, from: '+15550100001' })).toEqual([]);
    await Promise.all(created.map((message) => emulator.waitForMessage(message.sid)));
  });

  it('logs each text with its body, readably', async () => {
    const message = await client.messages.create({
      to: CALLEE,
      from: OUR_NUMBER,
      body: 'Voicemail from\n+15550100199, 5 s',
    });
    expect(logs).toContain(
      `message ${message.sid} ${OUR_NUMBER} → ${CALLEE} queued: "Voicemail from +15550100199, 5 s"`,
    );
    await emulator.waitForMessage(message.sid);
  });

  it('redact (Body="") once delivered, delete (204, then 404), cancel a scheduled message', async () => {
    const message = await client.messages.create({ to: CALLEE, from: OUR_NUMBER, body: 'secret' });
    await emulator.waitForMessage(message.sid);
    expect((await client.messages(message.sid).fetch()).status).toBe('delivered');
    expect((await client.messages(message.sid).update({ body: '' })).body).toBe('');
    expect(await client.messages(message.sid).remove()).toBe(true);
    expect((await raw(`/Messages/${message.sid}.json`, {}, 'GET')).status).toBe(404);

    const scheduled = await client.messages.create({
      to: CALLEE,
      messagingServiceSid: `MG${'0'.repeat(32)}`,
      body: 'later',
      scheduleType: 'fixed',
      sendAt: new Date(Date.now() + 3_600_000),
      statusCallback: `${app.url}/status`,
    });
    expect(scheduled.status).toBe('scheduled');
    expect((await client.messages(scheduled.sid).update({ status: 'canceled' })).status).toBe('canceled');
    expect(callbacksOf(scheduled.sid)).toEqual([]);
  });
});

describe('incoming phone numbers', () => {
  it('create, filter by FriendlyName, fetch, delete; unset URLs and application SIDs are null', async () => {
    const created = await client.incomingPhoneNumbers.create({
      phoneNumber: '+15550109999',
      friendlyName: 'Support line',
      smsUrl: 'https://example.test/sms',
    });
    expect(created).toMatchObject({
      phoneNumber: '+15550109999',
      friendlyName: 'Support line',
      smsUrl: 'https://example.test/sms',
      voiceUrl: null,
      voiceApplicationSid: null,
    });
    expect(
      (await client.incomingPhoneNumbers.list({ friendlyName: 'Support line' })).map((number) => number.sid),
    ).toEqual([created.sid]);
    expect(await client.incomingPhoneNumbers.list({ friendlyName: 'Nobody' })).toEqual([]);
    expect((await client.incomingPhoneNumbers(created.sid).fetch()).sid).toBe(created.sid);
    expect(
      (await client.incomingPhoneNumbers(created.sid).update({ voiceUrl: 'https://example.test/voice' })).voiceUrl,
    ).toBe('https://example.test/voice');
    expect(await client.incomingPhoneNumbers(created.sid).remove()).toBe(true);
    expect((await client.incomingPhoneNumbers.list()).map((number) => number.phoneNumber)).not.toContain(
      '+15550109999',
    );
  });
});

describe("Twilio's description", () => {
  it('every operation the emulator serves was validated by the tests above', () => {
    expect([...validatedOperations].sort()).toEqual(
      [
        `GET ${ACCOUNT}/Calls.json 200`,
        `POST ${ACCOUNT}/Calls.json 201`,
        `GET ${ACCOUNT}/Calls/{Sid}.json 200`,
        `POST ${ACCOUNT}/Calls/{Sid}.json 200`,
        `GET ${ACCOUNT}/Calls/{CallSid}/Recordings.json 200`,
        `GET ${ACCOUNT}/Calls/{CallSid}/Recordings/{Sid}.json 200`,
        `GET ${ACCOUNT}/Recordings/{Sid}.json 200`,
        `DELETE ${ACCOUNT}/Recordings/{Sid}.json 204`,
        `GET ${ACCOUNT}/Messages.json 200`,
        `POST ${ACCOUNT}/Messages.json 201`,
        `GET ${ACCOUNT}/Messages/{Sid}.json 200`,
        `POST ${ACCOUNT}/Messages/{Sid}.json 200`,
        `DELETE ${ACCOUNT}/Messages/{Sid}.json 204`,
        `GET ${ACCOUNT}/IncomingPhoneNumbers.json 200`,
        `POST ${ACCOUNT}/IncomingPhoneNumbers.json 201`,
        `GET ${ACCOUNT}/IncomingPhoneNumbers/{Sid}.json 200`,
        `POST ${ACCOUNT}/IncomingPhoneNumbers/{Sid}.json 200`,
        `DELETE ${ACCOUNT}/IncomingPhoneNumbers/{Sid}.json 204`,
      ].sort(),
    );
  });
});
