import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/index';
import type { LiveCallReport } from '../../dev/emulator/rest/liveCalls';
import { startTwimlApp, twiml, type Route } from './emulatorTwimlApp';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const CALLER = '+15550001111';
const OUR_NUMBER = '+15550100000';
const PAGE_ORIGIN = 'http://localhost:7071';

/** A menu whose choices lead to a PIN (three keys), a voicemail (Record) or a speech question. */
const routes: Record<string, Route> = {
  '/voice': () =>
    twiml(
      '<Gather numDigits="1" timeout="5" action="/choice" input="dtmf speech"><Say>Press 1 for a PIN, 2 for voicemail.</Say></Gather>' +
        '<Say>We did not get that.</Say>',
    ),
  '/choice': (params) =>
    twiml(
      params.Digits === '1'
        ? '<Gather numDigits="3" action="/pin"><Say>Your PIN?</Say></Gather>'
        : params.Digits === '2'
          ? '<Dial action="/dialed" timeout="10"><Number>+15550003333</Number></Dial>'
          : params.Digits === '3'
            ? '<Gather action="/pin" input="dtmf"><Say>Your account number, then pound.</Say></Gather>'
            : `<Say>You said ${params.SpeechResult ?? 'nothing'}.</Say>`,
    ),
  '/pin': (params) =>
    twiml(`<Say>PIN ${params.Digits}${params.FinishedOnKey ? ` then ${params.FinishedOnKey}` : ''}.</Say>`),
  '/dialed': () => twiml('<Say>Leave a message.</Say><Record maxLength="30" finishOnKey="#" action="/recorded"/>'),
  '/recorded': (params) => twiml(`<Say>Got ${params.RecordingDuration} s.</Say><Hangup/>`),
  '/sms': (params) => twiml(`<Message>Echo: ${params.Body}</Message>`),
};

let app: Awaited<ReturnType<typeof startTwimlApp>>;
let emulator: Emulator;

beforeAll(async () => {
  app = await startTwimlApp(authToken, routes);
  emulator = await startEmulator({ accountSid, authToken, phoneNumbers: [OUR_NUMBER] });
  const [number] = emulator.phoneNumbers.values();
  const updated = await fetch(
    `${emulator.url}/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${number!.sid}.json`,
    {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ VoiceUrl: `${app.url}/voice`, SmsUrl: `${app.url}/sms` }),
    },
  );
  expect(updated.status).toBe(200);
});
afterAll(async () => {
  await emulator.stop();
  await app.close();
});

const basic = () => `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
const phone = (path: string, form?: Record<string, string>) =>
  fetch(`${emulator.url}/_emulator${path ? `/${path}` : ''}`, {
    method: form ? 'POST' : 'GET',
    headers: {
      authorization: `Bearer ${emulator.phoneToken}`,
      origin: PAGE_ORIGIN,
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(form ? { body: new URLSearchParams(form) } : {}),
  });

async function dial(form: Record<string, string> = {}): Promise<string> {
  const response = await phone('LiveCalls', { From: CALLER, To: OUR_NUMBER, ...form });
  expect(response.status).toBe(201);
  return ((await response.json()) as LiveCallReport).call.sid;
}

/** Polls the call's events until it waits for input (or ends); answers every line so far and what it waits for. */
async function untilWaiting(sid: string): Promise<LiveCallReport & { heard: string[] }> {
  for (let tries = 0; tries < 40; tries++) {
    const report = (await (await phone(`LiveCalls/${sid}?wait=2`)).json()) as LiveCallReport;
    if (report.waiting || report.done) {
      const all = (await (await phone(`LiveCalls/${sid}`)).json()) as LiveCallReport;
      return { ...report, heard: all.lines.map((line) => `${line.verb}: ${line.text}`) };
    }
  }
  throw new Error(`${sid} never waited`);
}

const press = async (sid: string, input: Record<string, string>) =>
  expect((await phone(`LiveCalls/${sid}/Input`, input)).status).toBe(200);

describe('live calls: the caller answers as the call goes', () => {
  it('waits at each Gather and Record for keys, and the call runs on from what was pressed', async () => {
    const sid = await dial({ DialOutcome: 'no-answer' });
    const menu = await untilWaiting(sid);
    expect(menu.waiting).toMatchObject({ verb: 'Gather', input: ['dtmf', 'speech'], numDigits: 1, finishOnKey: '#' });
    expect(menu.heard).toContain('Say: Press 1 for a PIN, 2 for voicemail.');
    await press(sid, { Digits: '2' });
    const voicemail = await untilWaiting(sid);
    expect(voicemail.waiting).toMatchObject({ verb: 'Record', finishOnKey: '#' });
    expect(voicemail.heard).toContain('Dial: +15550003333: no-answer');
    await press(sid, { Digits: '#' });
    const ended = await emulator.waitForCall(sid);
    expect(ended.status).toBe('completed');
    expect(emulator.transcript(sid).map((line) => line.text)).toEqual(
      expect.arrayContaining(['pressed 2', 'beep, recorded 1 s, ended with #', 'Got 1 s.']),
    );
    expect(app.on('/choice').at(-1)!.params).toMatchObject({ Digits: '2', CallSid: sid });
  });

  it('answers a poll at once when the call began to wait after the poller last looked, with no new line', async () => {
    const sid = await dial({ DialOutcome: 'no-answer' });
    const menu = await untilWaiting(sid);
    // A poller whose last answer came between the prompt's last line and the wait (changes one fewer).
    const started = performance.now();
    const stale = (await (
      await phone(`LiveCalls/${sid}?after=${menu.next}&changes=${menu.changes - 1}&wait=10`)
    ).json()) as LiveCallReport;
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(stale.waiting).toMatchObject({ verb: 'Gather' });
    await press(sid, { Hangup: 'true' });
  });

  it('collects a Gather of three keys pressed one at a time', async () => {
    const sid = await dial();
    await untilWaiting(sid);
    await press(sid, { Digits: '1' });
    await untilWaiting(sid);
    for (const key of ['4', '2', '7']) await press(sid, { Digits: key });
    await emulator.waitForCall(sid);
    expect(emulator.transcript(sid).map((line) => line.text)).toContain('PIN 427.');
  });

  it('collects keys until the finish key, and ignores words a keys-only Gather does not listen for', async () => {
    const sid = await dial();
    await untilWaiting(sid);
    await press(sid, { Digits: '3' });
    await untilWaiting(sid);
    const inputs: Array<Record<string, string>> = [{ Digits: '9' }, { Speech: 'hello' }, { Digits: '8#' }];
    for (const input of inputs) await press(sid, input);
    await emulator.waitForCall(sid);
    expect(emulator.transcript(sid).map((line) => line.text)).toEqual(
      expect.arrayContaining(['pressed 98 then #', 'PIN 98 then #.']),
    );
  });

  it('takes words, and a hangup while waiting ends the call without a request', async () => {
    const spoken = await dial();
    await untilWaiting(spoken);
    await press(spoken, { Speech: 'voicemail please' });
    await emulator.waitForCall(spoken);
    expect(emulator.transcript(spoken).map((line) => line.text)).toContain('You said voicemail please.');

    const hungUp = await dial();
    await untilWaiting(hungUp);
    const before = app.received.length;
    await press(hungUp, { Hangup: 'true' });
    const call = await emulator.waitForCall(hungUp);
    expect(call.status).toBe('completed');
    expect(emulator.transcript(hungUp).at(-1)).toEqual({ verb: 'Gather', text: 'the caller hangs up' });
    expect(app.received.slice(before).map((request) => request.path)).toEqual([]);
  });

  it('takes silence as the timeout passing: the Gather goes on to the next verb', async () => {
    const sid = await dial();
    await untilWaiting(sid);
    await press(sid, { Silence: 'true' });
    await emulator.waitForCall(sid);
    expect(
      emulator
        .transcript(sid)
        .slice(-2)
        .map((line) => line.text),
    ).toEqual(['no input; continues', 'We did not get that.']);
  });

  it('refuses bad input with a 400 naming it, and an ended or unknown call', async () => {
    const sid = await dial();
    await untilWaiting(sid);
    for (const [form, named] of [
      [{}, 'exactly one of Digits'],
      [{ Digits: '1', Speech: 'hi' }, 'got Digits, Speech'],
      [{ Digits: '12a' }, 'Invalid Digits'],
      [{ Speech: ' ' }, 'Invalid Speech'],
      [{ Hangup: 'yes' }, 'Invalid Hangup'],
    ] as const) {
      const response = await phone(`LiveCalls/${sid}/Input`, form);
      expect(response.status, JSON.stringify(form)).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain(named);
    }
    await press(sid, { Hangup: 'true' });
    await emulator.waitForCall(sid);
    expect((await phone(`LiveCalls/${sid}/Input`, { Digits: '1' })).status).toBe(400);
    expect((await phone('LiveCalls/CA0123456789abcdef0123456789abcdef')).status).toBe(404);
    expect((await phone('LiveCalls', { From: 'nobody', To: OUR_NUMBER })).status).toBe(400);
    expect((await phone('LiveCalls', { From: CALLER, To: '+15559999999' })).status).toBe(404);
  });
});

describe("the phone's access: its token on its routes only, CORS for pages on this machine", () => {
  it('opens the phone routes with the token and nothing else with it', async () => {
    expect((await fetch(`${emulator.url}/_emulator/LiveCalls/CA1`)).status).toBe(401);
    expect((await phone('LiveCalls/CA1')).status).toBe(404);
    const calls = await fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Calls.json`, {
      headers: { authorization: `Bearer ${emulator.phoneToken}` },
    });
    expect(calls.status).toBe(401);
    expect(
      (
        await fetch(`${emulator.url}/_emulator/calls/CA1`, {
          headers: { authorization: `Bearer ${emulator.phoneToken}` },
        })
      ).status,
    ).toBe(401);
  });

  it('answers a preflight from a local page, and gives no CORS header to another origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${emulator.url}/_emulator/LiveCalls`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const local = await preflight('http://127.0.0.1:7071');
    expect(local.status).toBe(204);
    expect(local.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:7071');
    expect(local.headers.get('access-control-allow-headers')).toContain('Authorization');
    const foreign = await preflight('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.status).toBe(401);
    expect((await phone('')).headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
  });

  it("lists a phone's texts both ways as a thread, oldest first", async () => {
    const texter = '+15550002222';
    expect((await phone('messages', { From: texter, To: OUR_NUMBER, Body: 'hello' })).status).toBe(201);
    const thread = (await (await phone(`messages?Number=${encodeURIComponent(texter)}`)).json()) as {
      messages: Array<{ from: string; to: string; body: string }>;
    };
    expect(thread.messages.map((message) => `${message.from} → ${message.to}: ${message.body}`)).toEqual([
      `${texter} → ${OUR_NUMBER}: hello`,
      `${OUR_NUMBER} → ${texter}: Echo: hello`,
    ]);
    expect((await phone('messages?Number=nobody')).status).toBe(400);
  });
});
