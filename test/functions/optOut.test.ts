/**
 * The opt-out list the app keeps: after STOP every kind of text the app sends to that number is
 * refused before Twilio (counted at the fake Twilio), after START it goes out again. Over real
 * HTTP through the local host running the queue function, with an Azurite of this file's own.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { shortenDeadlinesForTests } from '../../lib/config/deadlines';
import { OPT_OUT_PARTITION } from '../../lib/records/optOuts';
import { keyPart, RECORDS_TABLE } from '../../lib/records/tables';
import { forwardUrgentTo, writeFlowFile } from '../support/flowFile';
import { startQueuedApp, type QueuedApp } from '../support/appHost';
import { postSigned } from '../support/signed';
import { TEST_ACCOUNT_SID, TEST_PHONE_NUMBER } from '../support/settings';

const OTHER_LINE = '+15550100777';
/** The owner in the flow file; each test that needs its own writes the file again with a fresh number. */
const OWNER = '+15550109999';

const ownFlows = writeFlowFile('optout', {
  voice: {
    entry: 'menu',
    steps: {
      vm: { actions: [{ record: { notify: { to: OWNER }, then: 'texted' } }] },
      texted: { actions: [{ sms: 'We got your call, {{ trigger.call.From }}' }, { say: 'Goodbye.' }] },
      menu: {
        actions: [{ gather: { prompt: 'Press 1 or 2.', branches: { '1': 'texted', '2': 'other' }, otherwise: 'vm' } }],
      },
      other: { actions: [{ sms: 'Another text' }, { say: 'Other.' }] },
    },
  },
  messaging: {
    rules: [forwardUrgentTo(OWNER)],
    reply: 'Thanks!',
  },
});
const flowFile = ownFlows.file;
const dir = ownFlows.dir;

let queued: QueuedApp;
let app: QueuedApp['app'];
let fake: QueuedApp['fake'];
let hostLog: string[];
let settings: QueuedApp['settings'];

beforeAll(async () => {
  queued = await startQueuedApp({ PHONE_FLOWS: flowFile });
  ({ app, fake, hostLog, settings } = queued);
});
afterAll(async () => {
  await queued?.close();
  ownFlows.remove();
});
beforeEach(async () => {
  await app.queues.idle();
  queued.reset();
});

const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
/** A fresh number for each test, so no test sees another's opt-out. */
const aNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const texts = () => fake.messages.map((message) => `${message.to}: ${message.body}`);

async function signedPost(path: string, fields: Record<string, string>) {
  const response = await postSigned(`${app.url}${path}`, fields);
  return { status: response.status, text: await response.text() };
}

async function textLine(from: string, body: string, to = TEST_PHONE_NUMBER) {
  return signedPost('/api/twilio/sms', { MessageSid: sid('SM'), From: from, To: to, Body: body });
}

async function postMessage(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function optOuts(query = '') {
  const response = await fetch(`${app.url}/api/opt-outs${query}`);
  return {
    status: response.status,
    json: (await response.json()) as { items: Array<Record<string, unknown>>; nextCursor: string | null },
  };
}

/** Waits until the queue function has taken and settled every message. */
async function queueSettled(): Promise<void> {
  await app.queues.idle();
}

describe('POST /api/messages to a number that texted STOP', () => {
  it('is a 409 naming the opt-out, never reaches Twilio, and goes out again after START', async () => {
    const number = aNumber();
    expect((await textLine(number, ' stop! ')).status).toBe(200);
    const refused = await postMessage({ to: number, body: 'Your order shipped' });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'recipient-opted-out', to: number, keyword: 'STOP' });
    expect(String(refused.json.error)).toMatch(/opted out/);
    expect(fake.received.filter((request) => request.method === 'POST')).toEqual([]);
    expect(hostLog.join('\n')).toMatch(/warning sendSms: Refused a text from .* to \+1555\d+: opted out with STOP/);

    const listed = await optOuts(`?number=${encodeURIComponent(number)}`);
    expect(listed.json.items).toMatchObject([
      {
        number,
        line: TEST_PHONE_NUMBER,
        status: 'opted-out',
        keyword: 'STOP',
        lastRefused: expect.stringMatching(/^POST \/api\/messages/),
      },
    ]);

    expect((await textLine(number, 'START')).status).toBe(200);
    expect((await postMessage({ to: number, body: 'Your order shipped' })).status).toBe(201);
    expect(texts()).toEqual([`${number}: Your order shipped`]);
    expect((await optOuts(`?number=${encodeURIComponent(number)}&status=opted-in`)).json.items).toMatchObject([
      { number, status: 'opted-in', keyword: 'START' },
    ]);
  });

  it('with an Idempotency-Key, replays the refusal', async () => {
    const number = aNumber();
    await textLine(number, 'unsubscribe');
    const key = { 'Idempotency-Key': sid('k') };
    expect((await postMessage({ to: number, body: 'hi' }, key)).status).toBe(409);
    expect((await textLine(number, 'unstop')).status).toBe(200);
    const again = await postMessage({ to: number, body: 'hi' }, key);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('recipient-opted-out');
    expect(fake.messages).toEqual([]);
  });
});

describe('the scope of a STOP', () => {
  it('with OPT_OUT_SCOPE=line (the default), a STOP to one of our numbers stops texts from every other', async () => {
    const number = aNumber();
    await textLine(number, 'QUIT', OTHER_LINE);
    expect((await postMessage({ to: number, body: 'hi' })).status).toBe(409);
    expect((await postMessage({ to: number, from: OTHER_LINE, body: 'hi' })).status).toBe(409);
    expect(fake.messages).toEqual([]);
  });

  it('with OPT_OUT_SCOPE=sender, it stops texts from the number it was sent to only', async () => {
    settings({ OPT_OUT_SCOPE: 'sender' });
    const number = aNumber();
    await textLine(number, 'QUIT', OTHER_LINE);
    expect((await postMessage({ to: number, from: OTHER_LINE, body: 'hi' })).status).toBe(409);
    expect((await postMessage({ to: number, body: 'hello' })).status).toBe(201);
    expect(texts()).toEqual([`${number}: hello`]);
  });
});

describe('a messaging rule', () => {
  it('never replies in TwiML to a number that opted out, and again after START', async () => {
    const number = aNumber();
    const stop = await textLine(number, 'STOP');
    expect(stop.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    const later = await textLine(number, 'urgent');
    expect(later.status).toBe(200);
    expect(later.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    await textLine(number, 'start');
    expect((await textLine(number, 'hello')).text).toContain('<Message>Thanks!</Message>');
  });

  it('withholds replies after a STOP taken on another instance within optOutReadFreshMs, not before', async () => {
    const restore = shortenDeadlinesForTests({ optOutReadFreshMs: 1_000 });
    try {
      const number = aNumber();
      expect((await textLine(number, 'hello')).text).toContain('<Message>Thanks!</Message>');
      // Another instance's STOP: in storage, unknown to this one.
      const records = TableClient.fromConnectionString(queued.azurite.connectionString, RECORDS_TABLE, {
        allowInsecureConnection: true,
      });
      await records.upsertEntity({
        partitionKey: OPT_OUT_PARTITION,
        rowKey: `${keyPart(number)}|${keyPart(TEST_PHONE_NUMBER)}`,
        number,
        line: TEST_PHONE_NUMBER,
        status: 'opted-out',
        keyword: 'STOP',
        at: new Date().toISOString(),
        messageSid: sid('SM'),
      });
      // This instance answers from what it read a moment ago…
      expect((await textLine(number, 'hello')).text).toContain('<Message>Thanks!</Message>');
      // …and asks storage what changed once that is optOutReadFreshMs old.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await textLine(number, 'hello')).text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    } finally {
      restore();
    }
  });

  it('does not forward to a number that opted out: the queued text is refused before Twilio, once', async () => {
    const owner = aNumber();
    settings({ PHONE_FLOWS: writeFlowFor(owner) });
    await textLine(owner, 'STOP');
    const sender = aNumber();
    const urgent = await textLine(sender, 'urgent');
    expect(urgent.text).toContain('Passed on.');
    await queueSettled();
    expect(fake.received.filter((request) => request.method === 'POST')).toEqual([]);
    expect(hostLog.join('\n')).toMatch(
      /warning sendQueued: The forward text to \+1555\d+ for forward\|SM\w+\|\+1555\d+ was refused: .*opted out/,
    );

    await textLine(owner, 'START');
    await textLine(sender, 'urgent');
    await queueSettled();
    expect(texts()).toEqual([`${owner}: From ${sender}: urgent`]);
  });
});

describe('a voicemail notification', () => {
  it('to a number that opted out is refused before Twilio, and sent after START', async () => {
    const owner = aNumber();
    settings({ PHONE_FLOWS: writeFlowFor(owner) });
    await textLine(owner, 'END');
    const callSid = sid('CA');
    const caller = aNumber();
    const deliver = () =>
      signedPost('/api/twilio/flow/recording?step=vm&at=0', {
        CallSid: callSid,
        RecordingSid: sid('RE'),
        RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/RE1`,
        RecordingStatus: 'completed',
        RecordingDuration: '7',
      });
    await signedPost('/api/twilio/voice', {
      CallSid: callSid,
      From: caller,
      To: TEST_PHONE_NUMBER,
      CallStatus: 'ringing',
    });
    expect((await deliver()).status).toBe(204);
    await queueSettled();
    expect(fake.received.filter((request) => request.method === 'POST')).toEqual([]);
    expect(hostLog.join('\n')).toMatch(/for recording\|RE\w+\|\+1555\d+ was refused/);

    await textLine(owner, 'YES');
    expect((await deliver()).status).toBe(204);
    await queueSettled();
    expect(texts()).toEqual([expect.stringMatching(new RegExp(`^\\${owner}: Voicemail from \\${caller}`))]);
  });
});

describe('a text in a call (the sms action)', () => {
  const turnOf = (callSid: string, caller: string, turn: number) => () =>
    signedPost(`/api/twilio/flow/step?step=texted&turn=${turn}`, {
      CallSid: callSid,
      From: caller,
      To: TEST_PHONE_NUMBER,
      Direction: 'inbound',
      CallStatus: 'in-progress',
    });

  it('goes through the Messages API once, however often the turn is replayed, and is recorded', async () => {
    const caller = aNumber();
    const callSid = sid('CA');
    const turn = turnOf(callSid, caller, 2);
    for (let replay = 0; replay < 3; replay++) {
      const answer = await turn();
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Goodbye.</Say></Response>');
    }
    await queueSettled();
    expect(texts()).toEqual([`${caller}: We got your call, ${caller}`]);
    expect(fake.messages[0]?.from).toBe(TEST_PHONE_NUMBER);
    const listed = await fetch(`${app.url}/api/messages?number=${encodeURIComponent(caller)}&direction=outbound`);
    const records = (await listed.json()) as { items: Array<{ sid: string; body?: string }> };
    expect(records.items).toMatchObject([{ sid: fake.messages[0]?.sid, body: `We got your call, ${caller}` }]);
  });

  it('is sent for the answer the caller heard only, when Twilio replays a turn with other input', async () => {
    const caller = aNumber();
    const callSid = sid('CA');
    const pressed = (digits: string) =>
      signedPost('/api/twilio/flow/gather?step=menu&at=0&try=1&turn=1', {
        CallSid: callSid,
        From: caller,
        To: TEST_PHONE_NUMBER,
        Direction: 'inbound',
        Digits: digits,
      });
    const first = await pressed('1');
    expect((await pressed('2')).text).toBe(first.text);
    expect((await pressed('1')).text).toBe(first.text);
    await queueSettled();
    expect(texts()).toEqual([`${caller}: We got your call, ${caller}`]);
  });

  it('is refused before Twilio after STOP, and sent again after START', async () => {
    const caller = aNumber();
    const callSid = sid('CA');
    await textLine(caller, 'OPTOUT');
    expect((await turnOf(callSid, caller, 2)()).status).toBe(200);
    await queueSettled();
    expect(fake.received.filter((request) => request.method === 'POST')).toEqual([]);
    expect(hostLog.join('\n')).toMatch(/for call-sms\|CA\w+\|2\|texted\|0 was refused: .*opted out/);

    await textLine(caller, 'START');
    expect((await turnOf(callSid, caller, 3)()).status).toBe(200);
    await queueSettled();
    expect(texts()).toEqual([`${caller}: We got your call, ${caller}`]);
  });
});

describe('GET /api/opt-outs', () => {
  it('pages through the list and names a bad query', async () => {
    for (let i = 0; i < 3; i++) await textLine(aNumber(), 'STOPALL');
    const first = await optOuts('?limit=2');
    expect(first.status).toBe(200);
    expect(first.json.items).toHaveLength(2);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await optOuts(`?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json.items.length).toBeGreaterThan(0);
    expect(second.json.items.map((item) => item.number)).not.toContain(first.json.items[0]?.number);
    const bad = await optOuts('?limit=0&status=maybe');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toMatch(/limit/);
    expect(JSON.stringify(bad.json)).toMatch(/status/);
  });
});

let flowFiles = 0;
/** The flow above with the owner's number filled in. */
function writeFlowFor(owner: string): string {
  const file = join(dir, `flows-${flowFiles++}.json`);
  writeFileSync(file, readFlow().replaceAll(OWNER, owner));
  return file;
}
const readFlow = () => readFileSync(flowFile, 'utf8');
