/**
 * flows/examples/appointment-reminder.json end to end: the app places the call (POST /api/calls
 * with flow and machineDetection) through the local host, the emulator detects a person or a
 * machine as Twilio does, and the answer reaches a fake of the owner's booking system.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../dev/simulate/command';
import { startPhone, type Phone } from '../support/phone';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER } from '../support/settings';

const BOOKING = 'https://booking.example.com';
const TOKEN = 'booking-token-for-tests';
const reminder = {
  step: 'reminder',
  variables: { name: 'Ada', when: 'Tuesday, June 9 at 10:30', appointmentId: 'A-1042' },
};

describe('flows/examples/appointment-reminder.json', () => {
  let phone: Phone;
  beforeAll(async () => {
    phone = await startPhone({
      flows: 'flows/examples/appointment-reminder.json',
      settings: { BOOKING_TOKEN: TOKEN },
      endpoints: { [BOOKING]: { json: { saved: true } } },
    });
  });
  afterAll(() => phone.close());
  const booking = () => phone.endpoints[BOOKING]!;
  const posted = () => {
    const request = booking().requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/appointments/A-1042/answer');
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    return JSON.parse(request.body) as Record<string, string>;
  };

  it('a person hears the appointment from the variables, presses 1, and the confirmation is posted', async () => {
    booking().answer({ json: { saved: true } });
    const call = await phone.placeCall({
      flow: reminder,
      machineDetection: 'DetectMessageEnd',
      answeredBy: 'human',
      digits: ['1'],
    });
    expect(call.heard[0]).toMatch(/^AnsweredBy: human after 2\.2 s \(DetectMessageEnd/);
    expect(call.heard).toContain(
      '  Say: Hello Ada, this is Example Clinic. You have an appointment on Tuesday, June 9 at 10:30. To confirm it, press 1. To be called back to change it, press 2.',
    );
    expect(call.heard.slice(-2)).toEqual([
      'Say: Thank you. Your appointment on Tuesday, June 9 at 10:30 is confirmed. Goodbye.',
      'Hangup:',
    ]);
    expect(call.path).toMatch(/^reminder · pressed 1 · confirm · http booking: ok 200 in \d+ ms$/);
    expect(posted()).toEqual({ answer: 'confirmed', callSid: call.sid });
  });

  it('a person presses 2: the request to be called back is posted', async () => {
    booking().answer({ json: { saved: true } });
    const call = await phone.placeCall({ flow: reminder, machineDetection: 'DetectMessageEnd', digits: ['2'] });
    expect(call.heard).toContain('Say: Thank you. We will call you back to find a new time. Goodbye.');
    expect(call.path).toMatch(/^reminder · pressed 2 · callback · http booking: ok 200 in \d+ ms$/);
    expect(posted()).toEqual({ answer: 'callback', callSid: call.sid });
  });

  it('a machine: after the beep it gets the short message, and the booking system hears of it; no menu', async () => {
    booking().answer({ json: { saved: true } });
    const call = await phone.placeCall({
      flow: reminder,
      machineDetection: 'DetectMessageEnd',
      answeredBy: 'machine_end_beep',
    });
    expect(call.heard).toEqual([
      'AnsweredBy: machine_end_beep after 10.5 s (DetectMessageEnd: the greeting ended with a beep)',
      'Say: Hello, this is Example Clinic with a reminder of your appointment on Tuesday, June 9 at 10:30. To change it, please call us back. Goodbye.',
      'Hangup:',
    ]);
    expect(call.path).toMatch(/^answered by machine_end_beep · voicemail · http booking: ok 200 in \d+ ms$/);
    expect(posted()).toEqual({ answer: 'voicemail', callSid: call.sid });
  });

  it('nobody presses a key: asked once more, then goodbye, nothing posted', async () => {
    const before = booking().requests.length;
    const call = await phone.placeCall({ flow: reminder, machineDetection: 'DetectMessageEnd' });
    expect(call.heard.slice(-2)).toEqual([
      'Say: We did not get an answer. We will try you again later. Goodbye.',
      'Hangup:',
    ]);
    expect(call.path).toMatch(/^reminder · no input, asked again · no input · noAnswer$/);
    expect(booking().requests.length).toBe(before);
  });

  it('the booking system down: the person is told the answer was not saved; the token is never logged', async () => {
    booking().answer({ fail: true });
    const call = await phone.placeCall({ flow: reminder, machineDetection: 'DetectMessageEnd', digits: ['1'] });
    expect(call.heard).toContain('Say: Sorry, we could not save your answer. Please call us to confirm. Goodbye.');
    expect(call.path).toMatch(/· confirm · http booking: failed .* → sorry$/);
    expect(phone.logs.join('\n')).not.toContain(TOKEN);
  });

  describe('npm run simulate -- place-call, as the docs show it', () => {
    let root: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'simulate-reminder-'));
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    const simulate = async (...options: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const env = {
        TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
        TWILIO_PHONE_NUMBER: TEST_PHONE_NUMBER,
        TWILIO_API_BASE_URL: phone.emulatorUrl,
      };
      const io = {
        stdout: { write: (c: string) => out.push(c) },
        stderr: { write: (c: string) => err.push(c) },
        env,
        root,
      };
      const code = await runSimulate(
        ['place-call', '--url', phone.appUrl, '--to', '+15550100299', '--flow-step', 'reminder', ...options],
        io,
      );
      return { code, stdout: out.join(''), stderr: err.join('') };
    };
    const variables = ['--var', 'when=Tuesday at 10:30', '--var', 'appointmentId=A-1042'];

    it('--answered-by human --digits 1: the person hears the appointment, and the path is printed', async () => {
      booking().answer({ json: { saved: true } });
      const run = await simulate(...variables, '--answered-by', 'human', '--digits', '1');
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toMatch(/\n {2}AnsweredBy human after 2\.2 s \(DetectMessageEnd/);
      expect(run.stdout).toContain('You have an appointment on Tuesday at 10:30.');
      expect(run.stdout).toMatch(/\nPath\s+reminder · pressed 1 · confirm · http booking: ok 200 in \d+ ms\n/);
      expect(posted()).toMatchObject({ answer: 'confirmed' });
    });

    it('--answered-by machine_end_beep: the message after the beep, and the path is printed', async () => {
      booking().answer({ json: { saved: true } });
      const run = await simulate(...variables, '--answered-by', 'machine_end_beep');
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toMatch(/\n {2}AnsweredBy machine_end_beep after 10\.5 s/);
      expect(run.stdout).toMatch(
        /\nPath\s+answered by machine_end_beep · voicemail · http booking: ok 200 in \d+ ms\n/,
      );
    });

    it('refuses an unknown --answered-by or mode, naming the choices, before any call', async () => {
      const calls = (await simulate('--answered-by', 'robot')).stderr;
      expect(calls).toContain('--answered-by must be one of human, machine_start,');
      expect((await simulate('--machine-detection', 'Always')).stderr).toContain(
        '--machine-detection must be Enable or DetectMessageEnd',
      );
      expect((await simulate('--var', 'novalue')).stderr).toContain('--var "novalue" must be name=value');
    });
  });
});
