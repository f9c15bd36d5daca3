import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCallFlow, startEmulator, type CallFlowOptions, type CallScript } from '../../dev/emulator/index';
import { startTwimlApp, twiml, type Route } from './emulatorTwimlApp';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const CALLER = '+15550001111';
const OUR_NUMBER = '+15550100000';

/** An IVR covering every verb: menu → (1) sales via Dial → voicemail via Record → goodbye with an SMS. */
/** POST .../Calls.json as an API client does: from our number to the caller, running the TwiML at `url`. */
const createCall = (emulator: { url: string }, url: string) =>
  fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Calls.json`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ To: CALLER, From: OUR_NUMBER, Url: url }),
  });

const routes: Record<string, Route> = {
  '/menu': () =>
    twiml(
      '<Say voice="alice">Welcome.</Say>' +
        '<Gather numDigits="1" action="/choice" input="dtmf speech"><Say>Press 1 for sales.</Say><Pause length="1"/></Gather>' +
        '<Say>We did not get that.</Say><Hangup/><Say>never heard</Say>',
    ),
  '/choice': (params) =>
    twiml(
      params.Digits === '1' || params.SpeechResult === 'sales'
        ? '<Dial action="/dialed" timeout="10"><Number>+15550003333</Number></Dial>'
        : '<Say>Unknown choice.</Say>',
    ),
  '/dialed': (params) =>
    twiml(
      params.DialCallStatus === 'completed'
        ? '<Say>Thanks for calling.</Say>'
        : '<Say>Leave a message.</Say><Record maxLength="30" action="/recorded"/>',
    ),
  '/recorded': () => twiml('<Sms>We got your message.</Sms><Redirect>/goodbye</Redirect>'),
  '/goodbye': () => twiml('<Play>https://example.test/bye.mp3</Play><Hangup/>'),
  '/loop': () => twiml('<Say>Again.</Say><Redirect method="POST">/loop</Redirect>'),
  '/dial-no-action': () => twiml('<Dial>+15550003333</Dial><Say>After the dial.</Say>'),
  '/reject': () => twiml('<Reject reason="busy"/><Say>unreachable</Say>'),
  '/bad-xml': () => '<Response><Say>unclosed</Response>',
  '/plain': () => ({ type: 'text/plain', body: 'Plain text is read out.' }),
  '/empty-gather': () => twiml('<Gather actionOnEmptyResult="true" action="/choice"/>'),
};

let app: Awaited<ReturnType<typeof startTwimlApp>>;
beforeAll(async () => {
  app = await startTwimlApp(authToken, routes);
});
afterAll(() => app.close());

const call = (path: string, script: CallScript = {}, extra: Partial<CallFlowOptions> = {}) =>
  runCallFlow({
    authToken,
    call: {
      AccountSid: accountSid,
      CallSid: `CA${randomBytes(16).toString('hex')}`,
      From: CALLER,
      To: OUR_NUMBER,
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    },
    start: { url: `${app.url}${path}` },
    script,
    ...extra,
  });

describe('the TwiML interpreter', () => {
  it('plays Say, Pause and nested Gather prompts in order, and Gather with digits posts Digits to its action', async () => {
    const result = await call('/menu', { digits: '1', dialOutcome: 'completed' });
    expect(result.transcript).toEqual([
      { verb: 'Say', text: 'Welcome.' },
      { verb: 'Say', text: 'Press 1 for sales.', depth: 1 },
      { verb: 'Pause', text: '1 s', depth: 1 },
      { verb: 'Gather', text: 'pressed 1', next: `POST ${app.url}/choice` },
      { verb: 'Dial', text: '+15550003333: completed', next: `POST ${app.url}/dialed` },
      { verb: 'Say', text: 'Thanks for calling.' },
    ]);
    expect(result).toMatchObject({ status: 'completed', endedBy: 'end-of-twiml', answered: true });
    const choice = app.on('/choice').at(-1)!;
    expect(choice.params).toMatchObject({ Digits: '1', CallStatus: 'in-progress', From: CALLER });
    expect(app.received.every((request) => request.signatureValid)).toBe(true);
  });

  it('starts an inbound call with CallStatus ringing', async () => {
    await call('/goodbye');
    expect(app.on('/goodbye').at(-1)!.params.CallStatus).toBe('ringing');
  });

  it('Gather without input falls through to the next verb, and Hangup ends the call', async () => {
    const result = await call('/menu');
    expect(result.transcript.map((line) => `${line.verb} ${line.text}`)).toEqual([
      'Say Welcome.',
      'Say Press 1 for sales.',
      'Pause 1 s',
      'Gather no input; continues',
      'Say We did not get that.',
      'Hangup ',
    ]);
    expect(result.endedBy).toBe('hangup');
  });

  it('Gather with speech posts SpeechResult and Confidence; actionOnEmptyResult posts without input', async () => {
    const spoken = await call('/menu', { speech: 'sales', dialOutcome: 'completed' });
    expect(spoken.transcript[3]).toMatchObject({ verb: 'Gather', text: 'said "sales"' });
    expect(app.on('/choice').at(-1)!.params).toMatchObject({ SpeechResult: 'sales', Confidence: expect.any(String) });

    const empty = await call('/empty-gather');
    expect(empty.transcript[0]).toMatchObject({ verb: 'Gather', text: 'no input', next: `POST ${app.url}/choice` });
    expect(app.on('/choice').at(-1)!.params.Digits).toBeUndefined();
  });

  it('each Gather takes the next scripted digits', async () => {
    const ivr = await startTwimlApp(authToken, {
      '/a': () => twiml('<Gather action="/b"/>'),
      '/b': (params) => twiml(`<Say>first ${params.Digits}</Say><Gather action="/c"/>`),
      '/c': (params) => twiml(`<Say>second ${params.Digits}</Say>`),
    });
    try {
      const result = await runCallFlow({
        authToken,
        call: { CallSid: 'CA1' },
        start: { url: `${ivr.url}/a` },
        script: { digits: ['12#', '3'] },
      });
      expect(result.transcript.filter((line) => line.verb === 'Say').map((line) => line.text)).toEqual([
        'first 12',
        'second 3',
      ]);
      expect(ivr.on('/b')[0]!.params).toMatchObject({ Digits: '12', FinishedOnKey: '#' });
    } finally {
      await ivr.close();
    }
  });

  it.each(['busy', 'no-answer', 'failed'] as const)(
    'Dial %s posts DialCallStatus to the action; Record posts the recording; Sms and Redirect follow',
    async (outcome) => {
      const result = await call('/menu', { digits: ['1', '#'], dialOutcome: outcome, recordingSeconds: 7 });
      expect(result.transcript.slice(4).map((line) => `${line.verb} ${line.text}`)).toEqual([
        `Dial +15550003333: ${outcome}`,
        'Say Leave a message.',
        'Record beep, recorded 7 s, ended with #',
        `Sms to ${CALLER}: We got your message.`,
        `Redirect ${app.url}/goodbye`,
        'Play https://example.test/bye.mp3',
        'Hangup ',
      ]);
      const dialed = app.on('/dialed').at(-1)!.params;
      expect(dialed).toMatchObject({ DialCallStatus: outcome, DialBridged: 'false' });
      expect(dialed.DialCallDuration).toBeUndefined();
      const recorded = app.on('/recorded').at(-1)!.params;
      expect(recorded.RecordingUrl).toMatch(
        new RegExp(`^https://api\\.twilio\\.com/2010-04-01/Accounts/${accountSid}/Recordings/RE[0-9a-f]{32}$`),
      );
      expect(recorded).toMatchObject({
        RecordingDuration: '7',
        RecordingSid: expect.stringMatching(/^RE/),
        Digits: '#',
      });
    },
  );

  it('Dial completed posts DialCallDuration and DialCallSid; without an action the call continues', async () => {
    await call('/menu', { digits: '1' });
    expect(app.on('/dialed').at(-1)!.params).toMatchObject({
      DialCallStatus: 'completed',
      DialCallSid: expect.stringMatching(/^CA/),
      DialCallDuration: expect.any(String),
    });

    const result = await call('/dial-no-action', { dialOutcome: 'no-answer' });
    expect(result.transcript.map((line) => line.text)).toEqual(['+15550003333: no-answer', 'After the dial.']);
  });

  it('bounds a Redirect loop: the caller hangs up after maxSteps verbs', async () => {
    const before = app.on('/loop').length;
    const result = await call('/loop', {}, { maxSteps: 6 });
    expect(result).toMatchObject({ status: 'completed', endedBy: 'max-steps' });
    expect(result.transcript.at(-1)).toMatchObject({ verb: 'Stop' });
    expect(result.transcript.filter((line) => line.verb === 'Redirect')).toHaveLength(3);
    expect(app.on('/loop').length - before).toBe(4);
  });

  it('Reject as the first verb ends an inbound call busy without answering', async () => {
    const result = await call('/reject');
    expect(result).toMatchObject({ status: 'busy', answered: false, endedBy: 'reject' });
    expect(result.transcript).toEqual([{ verb: 'Reject', text: 'reason busy' }]);
  });

  it('reports bad TwiML as 12100, a dead app as 11205, and reads text/plain out', async () => {
    const bad = await call('/bad-xml');
    expect(bad.error).toMatchObject({ code: 12100 });
    expect(bad.status).toBe('failed');

    const dead = await runCallFlow({ authToken, call: {}, start: { url: 'http://127.0.0.1:1/voice' } });
    expect(dead.error).toMatchObject({ code: 11205 });

    const plain = await call('/plain');
    expect(plain.transcript).toEqual([{ verb: 'Say', text: 'Plain text is read out.' }]);
  });

  it('only names in the verb table are verbs: toString, valueOf, hasOwnProperty fail with 12200; Echo, listed but not acted out, is skipped', async () => {
    for (const name of ['toString', 'valueOf', 'hasOwnProperty']) {
      const result = await call('/unused', {}, { start: { twiml: `<Response><Say>hi</Say><${name}/></Response>` } });
      expect(result.error).toMatchObject({ code: 12200 });
      expect(result.transcript).toEqual([expect.objectContaining({ verb: 'Error' })]);
    }
    const echo = await call('/unused', {}, { start: { twiml: '<Response><Echo/><Say>after</Say></Response>' } });
    expect(echo.transcript).toEqual([
      { verb: 'Echo', text: 'not emulated; skipped', notEmulated: true },
      { verb: 'Say', text: 'after' },
    ]);
  });

  it('Sms inside a call becomes a message on the emulator', async () => {
    const emulator = await startEmulator({ accountSid, authToken });
    try {
      const response = await createCall(emulator, `${app.url}/recorded`);
      const { sid } = (await response.json()) as { sid: string };
      await emulator.waitForCall(sid);
      const [message] = emulator.messages.values();
      // An outbound call's <Sms> goes to the called party, from the calling party.
      expect(message).toMatchObject({
        to: CALLER,
        from: OUR_NUMBER,
        body: 'We got your message.',
        direction: 'outbound-call',
      });
    } finally {
      await emulator.stop();
    }
  });

  it('stops promptly when the emulator stops during a call whose app never answers', async () => {
    const hanging = await startTwimlApp(authToken, { '/hang': () => 'hang' });
    const emulator = await startEmulator({ accountSid, authToken });
    try {
      const response = await createCall(emulator, `${hanging.url}/hang`);
      expect(response.status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await emulator.stop();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await hanging.close();
    }
  });
});
