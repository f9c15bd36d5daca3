/**
 * Texts the app sends on its own (voicemail alerts, transcriptions, rule forwards) go through
 * the outbound queue, whatever Twilio does: over real HTTP through the local host, which runs
 * the queue-triggered function from its registration, an Azurite of this file's own (tables
 * and queues), and a fake Twilio that refuses, hangs, fails or is simply gone.
 */
import { postSigned } from '../support/signed';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedPort } from '../support/ports';
import { QUEUE_OPTIONS } from '../../lib/config/queues';
import { forwardUrgentTo, writeFlowFile } from '../support/flowFile';
import { startQueuedApp, type QueuedApp } from '../support/appHost';
import { TEST_ACCOUNT_SID, TEST_PHONE_NUMBER, useSettings } from '../support/settings';

const OWNER = '+15550100000';
const CALLER = '+15550100199';
const FORWARD_TO = '+15550100055';
const MAX_DEQUEUE_COUNT = QUEUE_OPTIONS.maxDequeueCount;

const ownFlows = writeFlowFile('queued', {
  voice: {
    entry: 'vm',
    steps: { vm: { actions: [{ record: { transcribe: true, notify: { to: OWNER } } }] } },
  },
  messaging: {
    rules: [forwardUrgentTo(FORWARD_TO)],
  },
});
const flowFile = ownFlows.file;

let queued: QueuedApp;
let app: QueuedApp['app'];
let azurite: QueuedApp['azurite'];
let fake: QueuedApp['fake'];
let hostLog: string[];

beforeAll(async () => {
  queued = await startQueuedApp({ PHONE_FLOWS: flowFile });
  ({ app, azurite, fake, hostLog } = queued);
});
afterAll(async () => {
  await queued?.close();
  ownFlows.remove();
});
beforeEach(() => queued.reset());

const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const posts = () => fake.received.filter((request) => request.method === 'POST').length;
const texts = () => fake.messages.map((message) => `${message.to}: ${message.body}`);

async function signedPost(path: string, fields: Record<string, string>) {
  const url = `${app.url}${path}`;
  const started = performance.now();
  const response = await postSigned(url, fields);
  return { status: response.status, text: await response.text(), ms: performance.now() - started };
}

async function eventually(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function recording() {
  const callSid = sid('CA');
  const recordingSid = sid('RE');
  const fields = {
    CallSid: callSid,
    RecordingSid: recordingSid,
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/${recordingSid}`,
    RecordingStatus: 'completed',
    RecordingDuration: '7',
  };
  return {
    fields,
    alert: `${OWNER}: Voicemail from ${CALLER}, 7 s: ${fields.RecordingUrl}`,
    deliver: () => signedPost('/api/twilio/flow/recording?step=vm&at=0', fields),
    answerCall: () =>
      signedPost('/api/twilio/voice', { CallSid: callSid, From: CALLER, To: TEST_PHONE_NUMBER, CallStatus: 'ringing' }),
  };
}

describe('a voicemail alert when Twilio refuses connections', () => {
  it('is sent once Twilio is back, exactly once, though Twilio delivered the callback twice', async () => {
    const voicemail = recording();
    await voicemail.answerCall();
    await fake.close();
    try {
      const first = await voicemail.deliver();
      expect(first.status).toBe(204);
    } finally {
      fake = await queued.restartFake();
    }
    expect((await voicemail.deliver()).status).toBe(204);
    await eventually('the alert reached Twilio', () => fake.messages.length > 0);
    await app.queues.idle();
    expect(texts()).toEqual([voicemail.alert]);
  });
});

describe('a voicemail alert when Twilio hangs', () => {
  it('is answered at once, and sent exactly once when Twilio acted on the request it never answered', async () => {
    const voicemail = recording();
    await voicemail.answerCall();
    fake.hangAfterActingNext();
    const delivered = await voicemail.deliver();
    expect(delivered.status).toBe(204);
    expect(delivered.ms).toBeLessThan(2_000);
    await eventually('the hung request was made', () => posts() === 1);
    expect((await voicemail.deliver()).status).toBe(204);
    await app.queues.idle();
    expect(texts()).toEqual([voicemail.alert]);
    expect(posts()).toBe(1);
  });

  it('is sent exactly once when the request Twilio never answered was lost', async () => {
    const voicemail = recording();
    await voicemail.answerCall();
    fake.hangNext();
    expect((await voicemail.deliver()).status).toBe(204);
    await eventually('the alert reached Twilio', () => fake.messages.length > 0, 40_000);
    await app.queues.idle();
    expect(texts()).toEqual([voicemail.alert]);
    expect(posts()).toBe(2);
  }, 60_000);
});

describe('the transcription text', () => {
  it('goes out once Twilio stops failing, once however often the callback comes', async () => {
    const voicemail = recording();
    await voicemail.answerCall();
    const transcription = {
      ...voicemail.fields,
      TranscriptionSid: sid('TR'),
      TranscriptionText: 'Call me back',
      TranscriptionStatus: 'completed',
    };
    fake.failNext({ status: 503, code: 20503, message: 'Service unavailable' });
    fake.failNext({ status: 429, code: 20429, message: 'Too many requests' });
    for (let delivery = 0; delivery < 2; delivery++)
      expect((await signedPost('/api/twilio/flow/recording?step=vm&at=0', transcription)).status).toBe(204);
    await eventually('the transcription reached Twilio', () => fake.messages.length > 0);
    await app.queues.idle();
    expect(texts()).toEqual([`${OWNER}: Transcription of the voicemail from ${CALLER}: Call me back`]);
  });
});

describe('a messaging rule forward', () => {
  it('is queued, not left in the TwiML, and reaches Twilio once however often the text is delivered', async () => {
    const sms = { MessageSid: sid('SM'), From: CALLER, To: TEST_PHONE_NUMBER, Body: 'urgent' };
    fake.failNext({ status: 500, code: 20500, message: 'Internal error' });
    for (let delivery = 0; delivery < 2; delivery++) {
      const answer = await signedPost('/api/twilio/sms', sms);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message><Body>Passed on.</Body></Message></Response>',
      );
    }
    await eventually('the forward reached Twilio', () => fake.messages.length > 0);
    await app.queues.idle();
    expect(texts()).toEqual([`${FORWARD_TO}: From ${CALLER}: urgent`]);
    expect(fake.messages[0]?.from).toBe(TEST_PHONE_NUMBER);
  });
});

describe('when the queue cannot be reached', () => {
  it('the recording callback and the SMS webhook answer 503, so Twilio delivers again, and the error is logged', async () => {
    const gone = await closedPort();
    useSettings({
      AzureWebJobsStorage: azurite.connectionString.replace(
        /QueueEndpoint=http:\/\/[^/]+/,
        `QueueEndpoint=http://127.0.0.1:${gone}`,
      ),
      TWILIO_API_BASE_URL: fake.url,
      PHONE_FLOWS: flowFile,
    });
    const voicemail = recording();
    await voicemail.answerCall();
    const recorded = await voicemail.deliver();
    expect(recorded.status).toBe(503);
    expect(recorded.ms).toBeLessThan(10_000);
    const sms = { MessageSid: sid('SM'), From: CALLER, To: TEST_PHONE_NUMBER, Body: 'urgent' };
    expect((await signedPost('/api/twilio/sms', sms)).status).toBe(503);
    expect(hostLog.join('\n')).toMatch(/error flowWebhook: The queue twilio-outbound is unavailable/);
    expect(hostLog.join('\n')).toMatch(/error smsWebhook: The queue twilio-outbound is unavailable/);
    expect(posts()).toBe(0);
  });
});

describe('a text Twilio will not send', () => {
  it('is recorded as failed and not retried when Twilio refuses it (4xx)', async () => {
    const voicemail = recording();
    await voicemail.answerCall();
    fake.failNext({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    expect((await voicemail.deliver()).status).toBe(204);
    await eventually('the request was made', () => posts() === 1);
    await app.queues.idle();
    expect(posts()).toBe(1);
    expect(hostLog.join('\n')).toMatch(
      /error sendQueued: .*failed: Twilio refused it \(400 code 21610.*not tried again/,
    );
    expect(hostLog.join('\n')).not.toMatch(/poison queue/);
  });

  it('lands in the poison queue after every try failed, counted in health and logged as an error', async () => {
    const voicemail = recording();
    await voicemail.answerCall();
    for (let i = 0; i < MAX_DEQUEUE_COUNT; i++) fake.failNext({ status: 500, code: 20500, message: 'Internal error' });
    expect((await voicemail.deliver()).status).toBe(204);
    await eventually('every try was made', () => posts() === MAX_DEQUEUE_COUNT);
    await app.queues.idle();
    expect(posts()).toBe(MAX_DEQUEUE_COUNT);
    expect(fake.messages).toEqual([]);
    expect(hostLog.join('\n')).toMatch(/error sendQueued: .*poison/);
    const health = (await (await fetch(`${app.url}/api/health`)).json()) as { outbound?: { poison?: number } };
    expect(health.outbound?.poison).toBe(1);
  });
});
