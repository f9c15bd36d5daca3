/**
 * flows/examples/appointment-reminder.json end to end: the app places the call (POST /api/calls
 * with flow and machineDetection) through the local host, the emulator detects a person or a
 * machine as Twilio does, and the answer reaches a fake of the owner's booking system.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPhone, type Phone } from '../support/phone';

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
});
