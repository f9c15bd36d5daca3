/**
 * The flow routes as Twilio calls them: signed form POSTs to /api/twilio/flow/{kind}, handled
 * in-process, records and queued texts in an Azurite of this file's own (its queue function runs
 * here, as the local host runs it), REST calls to the emulator.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { registeredTriggers } from '../../dev/functionsHost';
import { queueOptions, startQueueHost, type RunningQueueHost } from '../../dev/queueHost';
import { flowWebhook } from '../../functions/flowWebhook';
import '../../functions/sendQueued';
import { getCall } from '../../functions/getCall';
import { getCallTranscript } from '../../functions/getCallTranscript';
import { getMessage } from '../../functions/getMessage';
import { health } from '../../functions/health';
import { voiceFallback } from '../../functions/voiceFallback';
import { voiceWebhook } from '../../functions/voiceWebhook';
import { startEmulator, type Emulator } from '../../dev/emulator/index';
import { startFakeTwilio } from '../support/fakeTwilio';
import { ROOT } from '../support/appHost';
import { writeFlowFile } from '../support/flowFile';
import { invoke, signedForm } from '../support/invoke';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER, useSettings } from '../support/settings';

const origin = 'https://voice.example.com';
const ownFlows = writeFlowFile('flow-routes', {
  voice: {
    entry: 'menu',
    steps: {
      menu: {
        actions: [{ gather: { numDigits: 1, branches: { '1': 'voicemail' }, retries: 0 } }, { say: 'Goodbye.' }],
      },
      voicemail: {
        actions: [
          { say: 'Leave a message.' },
          { record: { transcribe: true, notify: { to: '+15550100000' } } },
          { dial: { to: '+15550100001', whisper: 'Call for {{ trigger.call.To }}' } },
        ],
      },
    },
  },
});
const flowFile = ownFlows.file;
const dir = ownFlows.dir;
let emulator: Emulator;
let azurite: RunningAzurite;
let queues: RunningQueueHost;
const queueLog: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    accountSid: TEST_ACCOUNT_SID,
    authToken: TEST_AUTH_TOKEN,
    phoneNumbers: [TEST_PHONE_NUMBER],
  });
  azurite = await startAzurite({ services: 'app' });
  queues = startQueueHost({
    functions: registeredTriggers().queues,
    options: { ...queueOptions(ROOT), maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 1 },
    log: (level, name, message) => queueLog.push(`${level} ${name}: ${message}`),
  });
});
afterAll(async () => {
  await queues.close();
  await emulator.stop();
  await azurite.stop();
  ownFlows.remove();
});
const settingsWith = (values: Record<string, string>) =>
  useSettings({ AzureWebJobsStorage: azurite.connectionString, ...values });
beforeEach(() => settingsWith({ PHONE_FLOWS: flowFile, TWILIO_API_BASE_URL: emulator.url }));

const newCall = () => ({
  CallSid: `CA${randomBytes(16).toString('hex')}`,
  From: '+15550100199',
  To: TEST_PHONE_NUMBER,
  CallStatus: 'in-progress',
});
const flow = (kind: string, query: string, fields: Record<string, string>) =>
  invoke(flowWebhook, { ...signedForm(`${origin}/api/twilio/flow/${kind}?${query}`, fields), params: { kind } });
const transcript = async (sid: string) =>
  (await invoke(getCallTranscript, { method: 'GET', url: `${origin}/api/calls/${sid}/transcript`, params: { sid } }))
    .text;

describe('POST /api/twilio/flow/{kind}', () => {
  it('follows a branch, and records each turn on the call for the transcript', async () => {
    const fields = newCall();
    expect(
      (await invoke(voiceWebhook, signedForm(`${origin}/api/twilio/voice`, { ...fields, CallStatus: 'ringing' }))).text,
    ).toContain('action="/api/twilio/flow/gather?step=menu&amp;at=0&amp;try=1&amp;turn=1"');
    const branch = await flow('gather', 'step=menu&at=0&try=1&turn=1', { ...fields, Digits: '1' });
    expect(branch.response.status).toBe(200);
    expect(branch.text).toContain(
      '<Say>Leave a message.</Say><Record action="/api/twilio/flow/record?step=voicemail&amp;at=1&amp;turn=2"',
    );
    // Another call: the same turn of this one is answered as it was the first time (signedRoutes.test.ts).
    const anythingElse = await flow('gather', 'step=menu&at=0&try=1&turn=1', { ...newCall(), Digits: '5' });
    expect(anythingElse.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Goodbye.</Say></Response>');
    expect(await transcript(fields.CallSid)).toBe(
      `${fields.CallSid} · inbound +15550100199 → ${TEST_PHONE_NUMBER} · in-progress\nmenu · pressed 1 · voicemail\n`,
    );
  });

  it('is signed like every Twilio route: the step in the query string cannot be changed', async () => {
    const fields = { ...newCall(), Digits: '1' };
    const signed = signedForm(`${origin}/api/twilio/flow/gather?step=menu&at=0&try=1&turn=1`, fields);
    const forged = await invoke(flowWebhook, {
      ...signed,
      url: `${origin}/api/twilio/flow/gather?step=voicemail&at=0&try=1&turn=1`,
      params: { kind: 'gather' },
    });
    expect(forged.response.status).toBe(403);
  });

  it('answers a step the flow no longer has with an apology and the entry step, logs a warning, and records it', async () => {
    const fields = newCall();
    const result = await flow('gather', 'step=sales&at=2&try=1&turn=4', { ...fields, Digits: '2' });
    expect(result.response.status).toBe(200);
    expect(result.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, that option is no longer available.</Say><Redirect method="POST">/api/twilio/flow/step?step=menu&amp;turn=5</Redirect></Response>',
    );
    expect(result.logs).toContainEqual({
      level: 'warning',
      message: expect.stringContaining('asked for gather at sales[2], which the flow file does not have'),
    });
    expect(await transcript(fields.CallSid)).toMatch(/\nunknown place sales\[2\], back to menu\n$/);
  });

  it('refuses an unknown kind with 404', async () => {
    expect((await flow('teleport', 'step=menu', newCall())).response.status).toBe(404);
  });

  it('whispers to the answering party with the fields of its own leg', async () => {
    const result = await flow('whisper', 'step=voicemail&at=2', { ...newCall(), To: '+15550100001' });
    expect(result.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Call for +15550100001</Say></Response>',
    );
  });

  it('keeps a recording and its transcription on the call, and texts the owner once each, however often Twilio delivers them', async () => {
    const fields = newCall();
    await invoke(voiceWebhook, signedForm(`${origin}/api/twilio/voice`, { ...fields, CallStatus: 'ringing' }));
    const recording = {
      AccountSid: TEST_ACCOUNT_SID,
      CallSid: fields.CallSid,
      RecordingSid: `RE${randomBytes(16).toString('hex')}`,
      RecordingUrl: `${emulator.url}/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/RE1`,
      RecordingStatus: 'completed',
      RecordingDuration: '12',
    };
    const transcription = {
      ...fields,
      CallStatus: 'completed',
      RecordingSid: recording.RecordingSid,
      RecordingUrl: recording.RecordingUrl,
      TranscriptionSid: `TR${randomBytes(16).toString('hex')}`,
      TranscriptionText: 'Call me <back>',
      TranscriptionStatus: 'completed',
    };
    const before = emulator.messages.size;
    for (let delivery = 0; delivery < 2; delivery++) {
      expect((await flow('recording', 'step=voicemail&at=1', recording)).response.status).toBe(204);
      await queues.idle();
      expect((await flow('recording', 'step=voicemail&at=1', transcription)).response.status).toBe(204);
      await queues.idle();
    }
    const texts = [...emulator.messages.values()].slice(before).map((message) => `${message.to}: ${message.body}`);
    expect(texts).toEqual([
      `+15550100000: Voicemail from +15550100199, 12 s: ${recording.RecordingUrl}`,
      '+15550100000: Transcription of the voicemail from +15550100199: Call me <back>',
    ]);
    expect(await transcript(fields.CallSid)).toMatch(/\nmenu · recorded 12 s · transcription "Call me <back>"\n$/);

    // Each text's own record says what it said, what it was and which call made the app send it;
    // the call's events say which texts each delivery queued (issue 19, item 5).
    const sent = [...emulator.messages.values()].slice(before);
    const records = await Promise.all(
      sent.map(async ({ sid }) => {
        const read = await invoke(getMessage, { method: 'GET', url: `${origin}/api/messages/${sid}`, params: { sid } });
        return read.json() as Record<string, unknown>;
      }),
    );
    expect(records).toEqual([
      expect.objectContaining({ body: sent[0]!.body, purpose: 'voicemail', causeSid: fields.CallSid }),
      expect.objectContaining({ body: sent[1]!.body, purpose: 'transcription', causeSid: fields.CallSid }),
    ]);
    const call = await invoke(getCall, {
      method: 'GET',
      url: `${origin}/api/calls/${fields.CallSid}`,
      params: { sid: fields.CallSid },
    });
    const events = (call.json() as { events: Array<{ texts?: string[] }> }).events;
    expect(events.flatMap((event) => event.texts ?? [])).toEqual([
      'voicemail to +15550100000',
      'transcription to +15550100000',
    ]);
  });

  it('keeps the recording when Twilio refuses a notification text: the other owner still gets theirs, and the log says which failed', async () => {
    const fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
    const twoOwners = join(dir, 'two-owners.json');
    writeFileSync(
      twoOwners,
      JSON.stringify({
        voice: {
          entry: 'vm',
          steps: { vm: { actions: [{ record: { notify: { to: ['+15550100000', '+15550100001'] } } }] } },
        },
      }),
    );
    settingsWith({ PHONE_FLOWS: twoOwners, TWILIO_API_BASE_URL: fake.url });
    try {
      const fields = newCall();
      await invoke(voiceWebhook, signedForm(`${origin}/api/twilio/voice`, { ...fields, CallStatus: 'ringing' }));
      fake.failNext({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
      const recording = {
        CallSid: fields.CallSid,
        RecordingSid: `RE${randomBytes(16).toString('hex')}`,
        RecordingUrl: `${fake.url}/rec`,
        RecordingDuration: '3',
        RecordingStatus: 'completed',
      };
      const result = await flow('recording', 'step=vm&at=0', recording);
      expect(result.response.status).toBe(204);
      await queues.idle();
      expect(
        fake.received
          .filter((request) => request.path.endsWith('/Messages.json'))
          .map((request) => request.form.To?.[0])
          .sort(),
      ).toEqual(['+15550100000', '+15550100001']);
      expect(queueLog).toContainEqual(
        expect.stringMatching(
          /^error sendQueued: The voicemail text to \+1555010000[01] for recording\|RE\w+\|\+1555010000[01] failed: .*21610/,
        ),
      );
      expect(await transcript(fields.CallSid)).toMatch(/\nvm · recorded 3 s\n$/);
    } finally {
      await fake.close();
    }
  });

  it('names the bad field of a recording callback with 400', async () => {
    const result = await flow('recording', 'step=voicemail&at=1', { CallSid: newCall().CallSid, RecordingSid: 'RE1' });
    expect(result.response.status).toBe(400);
    expect(result.json()).toMatchObject({
      problems: [{ field: 'RecordingSid', message: 'must be a recording SID (RE followed by 32 hex digits)' }],
    });
  });
});

describe('an invalid flow file', () => {
  const broken = join(dir, 'broken.json');
  writeFileSync(
    broken,
    JSON.stringify({ voice: { entry: 'menu', steps: { menu: { actions: [{ redirect: { step: 'sales' } }] } } } }),
  );
  beforeEach(() => settingsWith({ PHONE_FLOWS: broken, TWILIO_API_BASE_URL: emulator.url }));

  it('makes health 503 misconfigured, naming each problem by its path', async () => {
    const result = await invoke(health, { method: 'GET', url: `${origin}/api/health` });
    expect(result.response.status).toBe(503);
    expect(result.json()).toMatchObject({
      status: 'misconfigured',
      problems: [`${broken}:1:74: voice.steps.menu.actions[0].redirect.step: unknown step "sales"`],
    });
  });

  it('fails the voice webhook (Twilio then asks the fallback URL), and the fallback answers with the default flow', async () => {
    const fields = { ...newCall(), CallStatus: 'ringing' };
    const webhook = await invoke(voiceWebhook, signedForm(`${origin}/api/twilio/voice`, fields));
    expect(webhook.response.status).toBe(500);
    expect(webhook.text).not.toContain('sales');
    const fallback = await invoke(
      voiceFallback,
      signedForm(`${origin}/api/twilio/voice/fallback`, { ...fields, ErrorCode: '11200' }),
    );
    expect(fallback.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello Monkey!</Say></Response>');
    expect(fallback.logs).toContainEqual({
      level: 'error',
      message: expect.stringContaining('voice.steps.menu.actions[0].redirect.step: unknown step "sales"'),
    });
  });

  it('answers a call already in progress with an apology and the default flow, not an error', async () => {
    const result = await flow('gather', 'step=menu&at=0&try=1&turn=1', { ...newCall(), Digits: '1' });
    expect(result.response.status).toBe(200);
    expect(result.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, that option is no longer available.</Say><Redirect method="POST">/api/twilio/flow/step?step=greeting&amp;turn=2</Redirect></Response>',
    );
  });
});
