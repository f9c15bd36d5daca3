/**
 * TwiML as Twilio's documentation says it runs (https://www.twilio.com/docs/voice/twiml):
 * calls placed through the real twilio SDK on the emulator, answered by TwiML documents this
 * test serves itself, never by the app.
 */
import { randomBytes } from 'node:crypto';
import type { Twilio } from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorScript } from '../../dev/emulator/index';
import { expectMatchesSpec, recordingTwilioClient, type Exchange } from '../support/twilioSpec';
import { checkAgainstSpec, startTwimlApp, stopAll, twiml, type Route } from './emulatorTwimlApp';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const OUR_NUMBER = '+15550100000';
const CALLEE = '+15550002222';
const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

const routes: Record<string, Route> = {
  '/gather-one': () =>
    twiml('<Gather numDigits="1" action="/gathered"><Say>Press a key</Say></Gather><Say>After the gather</Say>'),
  '/gathered': (params) => twiml(`<Say>You pressed ${params.Digits}</Say>`),
  '/record': () =>
    twiml(
      '<Record action="/recorded" recordingStatusCallback="/recording-status" transcribe="true" transcribeCallback="/transcribed" finishOnKey="#5"/>',
    ),
  '/recorded': (params) => twiml(`<Say>Recording ended by ${params.Digits}</Say>`),
  '/recording-status': () => ({ body: '', type: 'text/plain' }),
  '/transcribed': () => ({ body: '', type: 'text/plain' }),
  '/dial': () =>
    twiml(
      '<Dial action="/dialed" record="record-from-answer" recordingStatusCallback="/recording-status" callerId="+15550100009" timeLimit="3" hangupOnStar="true">' +
        '<Number statusCallback="/leg" statusCallbackEvent="initiated ringing answered completed">+15550003333</Number></Dial>',
    ),
  '/dialed': () => twiml('<Say>Dial done</Say>'),
  '/dial-whisper': () => twiml('<Dial action="/dialed"><Number url="/whisper">+15550003333</Number></Dial>'),
  '/whisper': (params) => twiml(`<Say>Call for ${params.To}</Say><Pause length="1"/>`),
  '/leg': () => ({ body: '', type: 'text/plain' }),
  '/loop': () => twiml('<Play loop="0">https://example.test/music.mp3</Play><Say loop="0">again</Say>'),
  '/broken': () => ({ status: 500, body: 'boom', type: 'text/plain' }),
  '/not-twiml': () => '<Response><Say>unclosed</Response>',
  '/fallback': (params) => twiml(`<Say>Fallback after ${params.ErrorCode}</Say>`),
  '/cookie': () => ({ body: twiml('<Gather action="/cookie-next"/>'), cookies: ['session=abc123; Path=/'] }),
  '/cookie-next': () => twiml('<Say>Second request</Say>'),
  '/unknown-verb': () => twiml('<Say>never played</Say><Dance/>'),
  '/not-emulated': () =>
    twiml(
      '<Connect><Stream url="wss://example.test/stream"/></Connect><Enqueue>support</Enqueue><Start><Stream url="wss://x.test"/></Start><Pay/><Refer><Sip>sip:a@b.test</Sip></Refer><Say>still here</Say>',
    ),
  '/json': () => ({ body: '{"say":"hello"}', type: 'application/json' }),
  '/inbound': () => twiml('<Say>Inbound via the number</Say>'),
  '/sms-inbound': () => twiml('<Message>Got it</Message>'),
  '/status': () => ({ body: '', type: 'text/plain' }),
};

let emulator: Emulator;
let app: Awaited<ReturnType<typeof startTwimlApp>>;
let client: Twilio;
let exchanges: Exchange[];

beforeAll(async () => {
  app = await startTwimlApp(authToken, routes);
  emulator = await startEmulator({ accountSid, authToken, phoneNumbers: [OUR_NUMBER] });
  ({ client, exchanges } = await recordingTwilioClient(emulator.url, accountSid, authToken));
});
afterAll(() => stopAll(emulator, app));
afterEach(() => checkAgainstSpec(emulator, exchanges));

/** Places a call through the SDK answered by `path`, and waits for its end. */
async function call(path: string, script: EmulatorScript = {}, extra: Record<string, unknown> = {}) {
  emulator.setScript(script);
  const created = await client.calls.create({ to: CALLEE, from: OUR_NUMBER, url: `${app.url}${path}`, ...extra });
  const ended = await emulator.waitForCall(created.sid);
  return {
    sid: created.sid,
    ended,
    lines: emulator.transcript(created.sid).map((line) => `${line.verb} ${line.text}`.trim()),
  };
}

const requestsOf = (sid: string, path: string) =>
  app.on(path).filter((request) => request.params.CallSid === sid || request.params.ParentCallSid === sid);

describe('<Gather>', () => {
  it('numDigits="1" submits the first key as soon as it arrives (12# → 1)', async () => {
    const { sid } = await call('/gather-one', { digits: '12#' });
    expect(requestsOf(sid, '/gathered')[0]!.params.Digits).toBe('1');
  });

  it('only the finish key: no action request, the next verb runs', async () => {
    const { sid, lines } = await call('/gather-one', { digits: '#' });
    expect(requestsOf(sid, '/gathered')).toEqual([]);
    expect(lines.slice(-2)).toEqual(['Gather no input; continues', 'Say After the gather']);
  });
});

describe('<Record>', () => {
  it('Digits is the key that ended it; recordingStatusCallback and transcribeCallback are called, signed', async () => {
    const { sid, lines } = await call('/record', { digits: '5', recordingSeconds: 4, transcription: 'Call me back' });
    const action = requestsOf(sid, '/recorded')[0]!.params;
    expect(action).toMatchObject({
      Digits: '5',
      RecordingDuration: '4',
      RecordingSid: expect.stringMatching(/^RE[0-9a-f]{32}$/),
    });
    expect(lines.at(-1)).toBe('Say Recording ended by 5');
    const [status] = requestsOf(sid, '/recording-status');
    expect(status!.signatureValid).toBe(true);
    expect(status!.params).toMatchObject({
      RecordingStatus: 'completed',
      RecordingSid: action.RecordingSid,
      RecordingUrl: action.RecordingUrl,
      RecordingDuration: '4',
      RecordingSource: 'RecordVerb',
      AccountSid: accountSid,
    });
    const [transcribed] = requestsOf(sid, '/transcribed');
    expect(transcribed!.signatureValid).toBe(true);
    expect(transcribed!.params).toMatchObject({
      TranscriptionText: 'Call me back',
      TranscriptionStatus: 'completed',
      RecordingSid: action.RecordingSid,
    });
  });

  it('a caller who hangs up ends it with Digits=hangup: the action is requested, its TwiML not run', async () => {
    const { sid, lines, ended } = await call('/record');
    expect(requestsOf(sid, '/recorded')[0]!.params.Digits).toBe('hangup');
    expect(lines).not.toContain('Say Recording ended by hangup');
    expect(ended.status).toBe('completed');
  });

  it('RecordingUrl serves a WAV by default, .mp3 and .json, behind Basic auth', async () => {
    const { sid } = await call('/record', { digits: '#', recordingSeconds: 2 });
    const url = requestsOf(sid, '/recorded')[0]!.params.RecordingUrl!;
    const wav = await fetch(url, { headers: { authorization } });
    expect(wav.headers.get('content-type')).toBe('audio/x-wav');
    const audio = Buffer.from(await wav.arrayBuffer());
    expect(audio.toString('ascii', 0, 4)).toBe('RIFF');
    expect(audio.toString('ascii', 8, 12)).toBe('WAVE');
    expect(audio.readUInt32LE(24)).toBe(8000);
    expect(audio.readUInt32LE(40)).toBe(2 * 8000 * 2);
    expect((await fetch(`${url}.wav`, { headers: { authorization } })).headers.get('content-type')).toBe('audio/x-wav');

    const mp3 = await fetch(`${url}.mp3`, { headers: { authorization } });
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    expect([...Buffer.from(await mp3.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xfb]);

    const json = await fetch(`${url}.json`, { headers: { authorization } });
    const metadata = (await json.json()) as { sid: string; duration: string; call_sid: string };
    expectMatchesSpec({ method: 'get', path: new URL(`${url}.json`).pathname, status: json.status, body: metadata });
    expect(metadata).toMatchObject({ call_sid: sid, duration: '2' });
    expect((await fetch(url)).status).toBe(401);
  });
});

describe('<Dial>', () => {
  it('record-from-answer adds RecordingUrl/RecordingSid to the action; callerId, timeLimit and <Number statusCallback> child-leg callbacks', async () => {
    const { sid, lines } = await call('/dial');
    const action = requestsOf(sid, '/dialed')[0]!.params;
    expect(action).toMatchObject({
      DialCallStatus: 'completed',
      DialCallDuration: '3',
      RecordingSid: expect.stringMatching(/^RE/),
      RecordingUrl: expect.stringContaining('/Recordings/'),
    });
    expect(lines[0]).toContain('caller ID +15550100009');
    const legs = requestsOf(sid, '/leg');
    expect(legs.map((leg) => leg.params.CallStatus)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    for (const leg of legs) {
      expect(leg.signatureValid).toBe(true);
      expect(leg.params).toMatchObject({
        CallSid: action.DialCallSid,
        ParentCallSid: sid,
        From: '+15550100009',
        To: '+15550003333',
        Direction: 'outbound-dial',
      });
    }
    expect(legs.at(-1)!.params.CallDuration).toBe('3');
    expect(requestsOf(sid, '/recording-status')[0]!.params).toMatchObject({
      RecordingSource: 'DialVerb',
      RecordingSid: action.RecordingSid,
    });
  });

  it("<Number url> whispers to the answering party, with the child leg's fields, before the action", async () => {
    const { sid, lines } = await call('/dial-whisper');
    const [whisper] = requestsOf(sid, '/whisper');
    expect(whisper!.signatureValid).toBe(true);
    expect(whisper!.params).toMatchObject({
      ParentCallSid: sid,
      To: '+15550003333',
      Direction: 'outbound-dial',
      CallStatus: 'in-progress',
    });
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(/^Dial \+15550003333: completed/),
      'Say Call for +15550003333',
      'Pause 1 s',
    ]);
    expect(requestsOf(sid, '/dialed')).toHaveLength(1);
    expect((await call('/dial-whisper', { dialOutcome: 'no-answer' })).lines.join('\n')).not.toContain('Call for');
  });

  it('hangupOnStar: the caller pressing * ends the dialed leg and the call goes on to the action', async () => {
    const { sid, lines } = await call('/dial', { digits: '*' });
    expect(requestsOf(sid, '/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed', DialCallDuration: '1' });
    expect(lines[0]).toContain('pressed *');
  });
});

describe('documents', () => {
  it('<Play loop="0"> and <Say loop="0"> repeat until hangup, at most 1,000 times', async () => {
    const { lines, ended } = await call('/loop');
    expect(lines).toEqual([
      'Play https://example.test/music.mp3 (×1000: loop="0" repeats until hangup)',
      'Say again (×1000: loop="0" repeats until hangup)',
    ]);
    expect(ended.duration).toBe(1000 * 5 + 1000 * 1);
  });

  it.each([
    ['/broken', 11200],
    ['/not-twiml', 12100],
    ['/unknown-verb', 12200],
    ['/json', 12300],
  ])('%s fails with %i and the call FallbackUrl is requested with ErrorCode and ErrorUrl', async (path, code) => {
    const { sid, lines } = await call(path, {}, { fallbackUrl: `${app.url}/fallback` });
    expect(requestsOf(sid, '/fallback')[0]!.params).toMatchObject({
      ErrorCode: String(code),
      ErrorUrl: `${app.url}${path}`,
    });
    expect(lines.at(-1)).toBe(`Say Fallback after ${code}`);
  });

  it('without a fallback an unknown verb ends the call with 12200 before any of the document is played; JSON is 12300', async () => {
    const unknown = await call('/unknown-verb');
    expect(unknown.ended.error).toMatchObject({ code: 12200 });
    expect(unknown.lines).toEqual([expect.stringMatching(/^Error 12200 .*<Dance>/)]);
    expect((await call('/json')).ended.error).toMatchObject({ code: 12300 });
  });

  it('valid verbs the emulator does not act out are reported as such, then skipped', async () => {
    const { sid } = await call('/not-emulated');
    const transcript = emulator.transcript(sid);
    expect(transcript.filter((line) => line.notEmulated).map((line) => line.verb)).toEqual([
      'Connect',
      'Enqueue',
      'Start',
      'Pay',
      'Refer',
    ]);
    expect(transcript.at(-1)).toEqual({ verb: 'Say', text: 'still here' });
  });

  it('cookies the app sets are sent back on the later requests of the same call, not of another', async () => {
    const first = await call('/cookie', { digits: '1' });
    expect(requestsOf(first.sid, '/cookie-next')[0]!.headers.cookie).toBe('session=abc123');
    expect(requestsOf(first.sid, '/cookie')[0]!.headers.cookie).toBeUndefined();
    const second = await call('/cookie', { digits: '1' });
    expect(requestsOf(second.sid, '/cookie')[0]!.headers.cookie).toBeUndefined();
  });
});

describe("incoming calls and texts start from the number's configuration", () => {
  const emulatorPost = (path: string, form: Record<string, string>) =>
    fetch(`${emulator.url}/_emulator/${path}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });

  it('ringing the number requests its voice_url with its voice_method, falls back to voice_fallback_url, reports to its status_callback', async () => {
    const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: OUR_NUMBER });
    await client
      .incomingPhoneNumbers(number!.sid)
      .update({ voiceUrl: `${app.url}/inbound`, voiceMethod: 'GET', statusCallback: `${app.url}/status` });
    const response = await emulatorPost('calls', { From: '+15550001111', To: OUR_NUMBER });
    expect(response.status).toBe(201);
    const { call } = (await response.json()) as { call: { sid: string } };
    await emulator.waitForCall(call.sid);
    const [inbound] = requestsOf(call.sid, '/inbound');
    expect(inbound).toMatchObject({ method: 'GET', signatureValid: true });
    expect(inbound!.url).toContain('CallStatus=ringing');
    expect(emulator.transcript(call.sid)).toEqual([{ verb: 'Say', text: 'Inbound via the number' }]);
    expect(requestsOf(call.sid, '/status').map((request) => request.params.CallStatus)).toEqual(['completed']);
    expect(await client.calls(call.sid).fetch()).toMatchObject({ direction: 'inbound', phoneNumberSid: number!.sid });

    await client
      .incomingPhoneNumbers(number!.sid)
      .update({ voiceUrl: `${app.url}/broken`, voiceFallbackUrl: `${app.url}/fallback` });
    const failing = (await (await emulatorPost('calls', { From: '+15550001111', To: OUR_NUMBER })).json()) as {
      call: { sid: string };
    };
    await emulator.waitForCall(failing.call.sid);
    expect(emulator.transcript(failing.call.sid).at(-1)).toEqual({ verb: 'Say', text: 'Fallback after 11200' });
  });

  it('texting the number requests its sms_url (or sms_fallback_url) and sends the replies', async () => {
    const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: OUR_NUMBER });
    await client
      .incomingPhoneNumbers(number!.sid)
      .update({ smsUrl: `${app.url}/broken`, smsFallbackUrl: `${app.url}/sms-inbound` });
    const response = await emulatorPost('messages', { From: '+15550001111', To: OUR_NUMBER, Body: 'hello' });
    const result = (await response.json()) as {
      message: { direction: string };
      replies: Array<{ body: string; to: string; from: string; direction: string }>;
    };
    expect(result.message.direction).toBe('inbound');
    expect(result.replies).toEqual([
      expect.objectContaining({ body: 'Got it', to: '+15550001111', from: OUR_NUMBER, direction: 'outbound-reply' }),
    ]);
    const fallback = app.on('/sms-inbound').at(-1)!;
    expect(fallback.params).toMatchObject({ ErrorCode: '11200', Body: 'hello', SmsStatus: 'received' });
  });
});
