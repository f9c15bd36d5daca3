/**
 * Answering machine detection in the emulator, against Twilio's documentation
 * (twilio.com/docs/voice/answering-machine-detection, and the Calls.json request body of
 * twilio_api_v2010.json): calls placed with the real twilio SDK, requests seen by a TwiML app.
 */
import { randomBytes } from 'node:crypto';
import type { Twilio } from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../dev/emulator/index';
import { recordingTwilioClient, type Exchange } from '../support/twilioSpec';
import { checkAgainstSpec, startTwimlApp, stopAll, twiml } from './emulatorTwimlApp';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const OUR_NUMBER = '+15550100000';
const PERSON = '+15550002222';
const MACHINE = '+15550003333';

let emulator: Emulator;
let app: Awaited<ReturnType<typeof startTwimlApp>>;
let client: Twilio;
let exchanges: Exchange[];

beforeAll(async () => {
  app = await startTwimlApp(authToken, {
    '/voice': () => twiml('<Say>Your appointment is tomorrow.</Say><Redirect>/next</Redirect>'),
    '/next': () => twiml('<Say>Goodbye.</Say>'),
    '/amd': () => ({ body: '', type: 'text/plain' }),
  });
  emulator = await startEmulator({ accountSid, authToken, phoneNumbers: [OUR_NUMBER] });
  ({ client, exchanges } = await recordingTwilioClient(emulator.url, accountSid, authToken));
});
afterAll(() => stopAll(emulator, app));
afterEach(() => {
  emulator.setCallee(PERSON, undefined);
  emulator.setCallee(MACHINE, undefined);
  checkAgainstSpec(emulator, exchanges);
});

async function place(to: string, options: Record<string, unknown>) {
  const call = await client.calls.create({ to, from: OUR_NUMBER, url: `${app.url}/voice`, ...options });
  await emulator.waitForCall(call.sid);
  const requests = app.received.filter((request) => request.params.CallSid === call.sid);
  return {
    sid: call.sid,
    voice: requests.filter((request) => request.path === '/voice'),
    next: requests.filter((request) => request.path === '/next'),
    amd: requests.filter((request) => request.path === '/amd'),
    fetched: await client.calls(call.sid).fetch(),
    transcript: emulator.transcript(call.sid),
  };
}

describe('MachineDetection=Enable: AnsweredBy as soon as the called party is identified', () => {
  it.each([
    ['human', 'human'],
    ['machine_start', 'machine_start'],
    ['machine_end_beep', 'machine_start'],
    ['fax', 'fax'],
    ['unknown', 'unknown'],
  ] as const)('a callee scripted as %s is reported as %s on the first request only', async (who, reported) => {
    emulator.setCallee(MACHINE, { answeredBy: who });
    const call = await place(MACHINE, { machineDetection: 'Enable' });
    expect(call.voice).toHaveLength(1);
    expect(call.voice[0]!.params.AnsweredBy).toBe(reported);
    expect(Number(call.voice[0]!.params.MachineDetectionDuration)).toBeGreaterThan(0);
    expect(call.voice[0]!.signatureValid).toBe(true);
    expect(call.next[0]!.params.AnsweredBy).toBeUndefined();
    expect(call.fetched.answeredBy).toBe(reported);
    expect(call.transcript[0]).toMatchObject({ verb: 'AnsweredBy', text: expect.stringMatching(`^${reported} after`) });
  });

  it('the per-number callee wins over the emulator-wide script; other numbers keep the script', async () => {
    emulator.setScript({ answeredBy: 'fax' });
    emulator.setCallee(MACHINE, { answeredBy: 'machine_start' });
    expect((await place(MACHINE, { machineDetection: 'Enable' })).fetched.answeredBy).toBe('machine_start');
    expect((await place(PERSON, { machineDetection: 'Enable' })).fetched.answeredBy).toBe('fax');
  });
});

describe('MachineDetection=DetectMessageEnd: a machine is reported after its greeting ends', () => {
  it.each(['machine_end_beep', 'machine_end_silence', 'machine_end_other'] as const)(
    '%s: the Url is requested after the greeting, and the call lasts that long',
    async (who) => {
      emulator.setCallee(MACHINE, { answeredBy: who });
      const call = await place(MACHINE, { machineDetection: 'DetectMessageEnd' });
      expect(call.voice[0]!.params.AnsweredBy).toBe(who);
      const waited = Number(call.voice[0]!.params.MachineDetectionDuration);
      expect(waited).toBeGreaterThanOrEqual(10_000);
      // Twilio counts a call's duration in whole seconds (the app refuses anything else).
      expect(call.fetched.duration).toMatch(/^\d+$/);
      expect(Number(call.fetched.duration)).toBeGreaterThanOrEqual(waited / 1000);
    },
  );

  it('a machine scripted as machine_start leaves its message after a beep; a person is reported at once', async () => {
    emulator.setCallee(MACHINE, { answeredBy: 'machine_start' });
    emulator.setCallee(PERSON, { answeredBy: 'human' });
    const machine = await place(MACHINE, { machineDetection: 'DetectMessageEnd' });
    const person = await place(PERSON, { machineDetection: 'DetectMessageEnd' });
    expect(machine.voice[0]!.params.AnsweredBy).toBe('machine_end_beep');
    expect(person.voice[0]!.params.AnsweredBy).toBe('human');
    expect(Number(person.voice[0]!.params.MachineDetectionDuration)).toBeLessThan(5000);
  });

  it('a greeting longer than MachineDetectionTimeout is unknown after the timeout', async () => {
    emulator.setCallee(MACHINE, { answeredBy: 'machine_end_beep' });
    const call = await place(MACHINE, { machineDetection: 'DetectMessageEnd', machineDetectionTimeout: 5 });
    expect(call.voice[0]!.params).toMatchObject({ AnsweredBy: 'unknown', MachineDetectionDuration: '5000' });
  });
});

describe('AsyncAmd=true: the Url at once, the result to AsyncAmdStatusCallback', () => {
  it('requests the Url without AnsweredBy, then posts CallSid, AccountSid, AnsweredBy and MachineDetectionDuration', async () => {
    emulator.setCallee(MACHINE, { answeredBy: 'machine_end_beep' });
    const call = await place(MACHINE, {
      machineDetection: 'DetectMessageEnd',
      asyncAmd: 'true',
      asyncAmdStatusCallback: `${app.url}/amd`,
    });
    expect(call.voice[0]!.params.AnsweredBy).toBeUndefined();
    expect(call.amd).toHaveLength(1);
    expect(call.amd[0]!.signatureValid).toBe(true);
    expect(call.amd[0]!.params).toEqual({
      AccountSid: accountSid,
      CallSid: call.sid,
      AnsweredBy: 'machine_end_beep',
      MachineDetectionDuration: '10500',
    });
    expect(app.received.indexOf(call.voice[0]!)).toBeLessThan(app.received.indexOf(call.amd[0]!));
    expect(call.fetched.answeredBy).toBe('machine_end_beep');
  });

  it('a relative AsyncAmdStatusCallback is read against the Url; GET is honoured', async () => {
    const call = await place(PERSON, {
      machineDetection: 'Enable',
      asyncAmd: 'true',
      asyncAmdStatusCallback: '/amd',
      asyncAmdStatusCallbackMethod: 'GET',
    });
    expect(call.amd[0]).toMatchObject({ method: 'GET', params: { AnsweredBy: 'human', CallSid: call.sid } });
  });

  it('without AsyncAmdStatusCallback the result is on the Call only (warning 21262)', async () => {
    const call = await place(PERSON, { machineDetection: 'Enable', asyncAmd: 'true' });
    expect(call.amd).toEqual([]);
    expect(call.fetched.answeredBy).toBe('human');
    expect(call.transcript.find((line) => line.verb === 'AnsweredBy')?.text).toContain('21262');
  });
});

describe('what turns detection off, and what Twilio refuses', () => {
  it('without MachineDetection, or with SendDigits, no AnsweredBy', async () => {
    emulator.setCallee(MACHINE, { answeredBy: 'machine_start' });
    const plain = await place(MACHINE, {});
    const digits = await place(MACHINE, { machineDetection: 'Enable', sendDigits: '1234#' });
    for (const call of [plain, digits]) {
      expect(call.voice[0]!.params.AnsweredBy).toBeUndefined();
      expect(call.fetched.answeredBy).toBeNull();
    }
  });

  it.each([
    ['MachineDetection', 'Sometimes'],
    ['MachineDetectionTimeout', '2'],
    ['MachineDetectionTimeout', '60'],
    ['MachineDetectionSpeechThreshold', '999'],
    ['MachineDetectionSpeechThreshold', '6001'],
    ['MachineDetectionSpeechEndThreshold', '499'],
    ['MachineDetectionSpeechEndThreshold', '5001'],
    ['MachineDetectionSilenceTimeout', '1999'],
    ['MachineDetectionSilenceTimeout', '10001'],
    ['AsyncAmd', 'maybe'],
  ])('%s=%s is a 400 with error 21234 naming it, and no call', async (name, value) => {
    const before = emulator.calls.size;
    const response = await fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Calls.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        To: PERSON,
        From: OUR_NUMBER,
        Url: `${app.url}/voice`,
        ...(name === 'MachineDetection' ? {} : { MachineDetection: 'Enable' }),
        [name]: value,
      }),
    });
    const body = (await response.json()) as { code: number; message: string };
    expect(response.status).toBe(400);
    expect(body.code).toBe(21234);
    expect(body.message).toContain(name);
    expect(emulator.calls.size).toBe(before);
  });

  it('the ends of each range are allowed', async () => {
    const call = await place(PERSON, {
      machineDetection: 'Enable',
      machineDetectionTimeout: 59,
      machineDetectionSpeechThreshold: 1000,
      machineDetectionSpeechEndThreshold: 5000,
      machineDetectionSilenceTimeout: 2000,
    });
    expect(call.voice[0]!.params).toMatchObject({ AnsweredBy: 'human', MachineDetectionDuration: '6000' });
  });
});
