import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { getCall } from '../../functions/getCall';
import { getMessage } from '../../functions/getMessage';
import { listCalls } from '../../functions/listCalls';
import { listMessages } from '../../functions/listMessages';
import { smsWebhook } from '../../functions/smsWebhook';
import { statusCallback } from '../../functions/statusCallback';
import { voiceWebhook } from '../../functions/voiceWebhook';
import { listingRows } from '../../lib/records/listing';
import type { CallOrMessage } from '../../lib/records/model';
import { RECORDS_TABLE } from '../../lib/records/tables';
import { invoke, signedForm } from '../support/invoke';
import { baseSettings, TEST_PHONE_NUMBER, useSettings } from '../support/settings';

const BASE = 'https://voice.example.com';
const statusUrl = `${BASE}/api/twilio/status`;
const smsUrl = `${BASE}/api/twilio/sms`;
const voiceUrl = `${BASE}/api/twilio/voice`;

const sid = (prefix: 'CA' | 'SM') => `${prefix}${randomBytes(16).toString('hex')}`;
/** A number no other test uses, so listings filtered by it hold only this test's records. */
const uniqueNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

interface SavedRecord {
  sid: string;
  createdAt: string;
  direction: string;
  from: string;
  to: string;
  status: string;
  duration?: number;
  errorCode?: number;
  body?: string;
  mediaUrls?: string[];
  events: Array<{ status: string; source: string; sequence?: number; errorCode?: number }>;
}

const callCallback = (
  callSid: string,
  CallStatus: string,
  SequenceNumber: number,
  extra: Record<string, string> = {},
) =>
  invoke(
    statusCallback,
    signedForm(statusUrl, {
      CallSid: callSid,
      CallStatus,
      SequenceNumber: String(SequenceNumber),
      Direction: 'outbound-api',
      From: TEST_PHONE_NUMBER,
      To: '+15550002222',
      Timestamp: new Date().toUTCString(),
      ...extra,
    }),
  );

const messageCallback = (messageSid: string, MessageStatus: string, extra: Record<string, string> = {}) =>
  invoke(
    statusCallback,
    signedForm(statusUrl, {
      MessageSid: messageSid,
      MessageStatus,
      From: TEST_PHONE_NUMBER,
      To: '+15550002222',
      ...extra,
    }),
  );

const inboundSms = (fields: Record<string, string>) => invoke(smsWebhook, signedForm(smsUrl, fields));

async function read(kind: 'call' | 'message', recordSid: string) {
  const url = `${BASE}/api/${kind === 'call' ? 'calls' : 'messages'}/${recordSid}`;
  return invoke(kind === 'call' ? getCall : getMessage, { method: 'GET', url, params: { sid: recordSid } });
}

async function record(kind: 'call' | 'message', recordSid: string): Promise<SavedRecord> {
  const result = await read(kind, recordSid);
  expect(result.response.status, result.text).toBe(200);
  return result.json() as SavedRecord;
}

const list = (kind: 'call' | 'message', query: string) =>
  invoke(kind === 'call' ? listCalls : listMessages, {
    method: 'GET',
    url: `${BASE}/api/${kind === 'call' ? 'calls' : 'messages'}?${query}`,
  });

/** Every page of a listing, following nextCursor. */
async function listAll(
  kind: 'call' | 'message',
  query: string,
): Promise<{ pages: number; items: Array<{ sid: string; direction: string; createdAt: string }> }> {
  const items = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const result = await list(kind, `${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(result.response.status, result.text).toBe(200);
    const page = result.json() as {
      items: Array<{ sid: string; direction: string; createdAt: string }>;
      nextCursor: string | null;
    };
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { pages, items };
}

describe('records of calls', () => {
  beforeEach(() => useSettings({ PUBLIC_BASE_URL: BASE }));

  it('out-of-order and repeated callbacks end in the most advanced status, each event once, in Twilio order', async () => {
    const call = sid('CA');
    const deliveries: Array<[string, number]> = [
      ['completed', 3],
      ['ringing', 1],
      ['initiated', 0],
      ['ringing', 1],
      ['in-progress', 2],
      ['completed', 3],
    ];
    for (const [status, sequence] of deliveries) {
      const result = await callCallback(call, status, sequence, status === 'completed' ? { CallDuration: '42' } : {});
      expect(result.response.status).toBe(204);
    }
    const saved = await record('call', call);
    expect(saved).toMatchObject({
      sid: call,
      direction: 'outbound',
      from: TEST_PHONE_NUMBER,
      to: '+15550002222',
      status: 'completed',
      duration: 42,
    });
    expect(saved.events[0]).toEqual({
      status: 'initiated',
      source: 'status-callback',
      sequence: 0,
      at: expect.any(String),
      twilioTimestamp: expect.stringMatching(/GMT$/),
    });
    expect(saved.events.map((event) => [event.status, event.sequence])).toEqual([
      ['initiated', 0],
      ['ringing', 1],
      ['in-progress', 2],
      ['completed', 3],
    ]);
  });

  it('an incoming call is recorded before the greeting is returned, and a later busy/completed never goes back', async () => {
    const call = sid('CA');
    const caller = uniqueNumber();
    const fields = { CallSid: call, From: caller, To: TEST_PHONE_NUMBER, CallStatus: 'ringing', Direction: 'inbound' };
    const first = await invoke(voiceWebhook, signedForm(voiceUrl, fields));
    const again = await invoke(voiceWebhook, signedForm(voiceUrl, fields));
    expect(first.response.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(await record('call', call)).toMatchObject({
      direction: 'inbound',
      from: caller,
      status: 'ringing',
      events: [{ status: 'ringing', source: 'voice-webhook' }],
    });

    await callCallback(call, 'completed', 1, {
      Direction: 'inbound',
      From: caller,
      To: TEST_PHONE_NUMBER,
      CallDuration: '7',
    });
    await callCallback(call, 'in-progress', 0, { Direction: 'inbound', From: caller, To: TEST_PHONE_NUMBER });
    const saved = await record('call', call);
    expect(saved.status).toBe('completed');
    expect(saved.events).toHaveLength(3);
  });

  it('50 parallel callbacks for one call: every distinct event once, final status right', async () => {
    const call = sid('CA');
    const statuses = Array.from({ length: 50 }, (_, sequence) =>
      sequence === 49 ? 'completed' : sequence === 0 ? 'initiated' : sequence < 10 ? 'ringing' : 'in-progress',
    );
    // Each delivered once, and ten of them a second time, all at once.
    const deliveries = [
      ...statuses.map((status, sequence) => [status, sequence] as const),
      ...statuses.slice(20, 30).map((status, i) => [status, 20 + i] as const),
    ];
    const results = await Promise.all(deliveries.map(([status, sequence]) => callCallback(call, status, sequence)));
    expect(results.map((result) => result.response.status)).toEqual(deliveries.map(() => 204));
    const saved = await record('call', call);
    expect(saved.status).toBe('completed');
    expect(saved.events.map((event) => event.sequence)).toEqual(statuses.map((_, sequence) => sequence));
  });
});

describe('records of messages', () => {
  beforeEach(() => useSettings({ PUBLIC_BASE_URL: BASE }));

  it('out-of-order and repeated status callbacks: the most advanced status wins, and delivered can still become read', async () => {
    const message = sid('SM');
    for (const status of ['delivered', 'sent', 'queued', 'delivered', 'accepted']) {
      expect((await messageCallback(message, status)).response.status).toBe(204);
    }
    let saved = await record('message', message);
    expect(saved).toMatchObject({ status: 'delivered', direction: 'outbound' });
    expect(saved.events.map((event) => event.status)).toEqual(['accepted', 'queued', 'sent', 'delivered']);

    await messageCallback(message, 'read');
    saved = await record('message', message);
    expect(saved.status).toBe('read');
  });

  it('a failure keeps its ErrorCode and is not undone by a late sent', async () => {
    const message = sid('SM');
    await messageCallback(message, 'undelivered', { ErrorCode: '30003' });
    await messageCallback(message, 'sent');
    const saved = await record('message', message);
    expect(saved).toMatchObject({ status: 'undelivered', errorCode: 30003 });
    expect(saved.events).toEqual([
      expect.objectContaining({ status: 'sent', source: 'status-callback' }),
      expect.objectContaining({ status: 'undelivered', errorCode: 30003 }),
    ]);
  });

  it('an incoming SMS is recorded with its body and media, once however often it is delivered, with the same reply', async () => {
    const message = sid('SM');
    const from = uniqueNumber();
    const fields = {
      MessageSid: message,
      From: from,
      To: TEST_PHONE_NUMBER,
      Body: 'hi there',
      NumMedia: '2',
      MediaUrl1: 'https://media.example.com/2',
      MediaUrl0: 'https://media.example.com/1',
    };
    const replies = await Promise.all([inboundSms(fields), inboundSms(fields), inboundSms(fields)]);
    expect(new Set(replies.map((reply) => reply.text)).size).toBe(1);
    expect(replies.map((reply) => reply.response.status)).toEqual([200, 200, 200]);
    const saved = await record('message', message);
    expect(saved).toMatchObject({
      direction: 'inbound',
      from,
      to: TEST_PHONE_NUMBER,
      status: 'received',
      body: 'hi there',
      mediaUrls: ['https://media.example.com/1', 'https://media.example.com/2'],
      events: [{ status: 'received', source: 'sms-webhook' }],
    });
    expect((await listAll('message', `number=${encodeURIComponent(from)}`)).items.map((item) => item.sid)).toEqual([
      message,
    ]);
    // A later redelivery, with another time, changes nothing: still listed once, as first created.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await inboundSms(fields)).response.status).toBe(200);
    expect((await listAll('message', `number=${encodeURIComponent(from)}`)).items).toEqual([
      expect.objectContaining({ sid: message, createdAt: saved.createdAt }),
    ]);
  });

  it('a Twilio request without the SID it is about is refused with 400 naming the field, and nothing is recorded', async () => {
    const result = await messageCallback('SMnot-a-sid', 'sent');
    expect(result.response.status).toBe(400);
    expect(result.json()).toMatchObject({ problems: [{ field: 'MessageSid' }] });
    const empty = await invoke(statusCallback, signedForm(statusUrl, { AccountSid: 'AC' }));
    expect(empty.response.status).toBe(400);
  });
});

describe('listings show what the record shows', () => {
  beforeEach(() => useSettings({ PUBLIC_BASE_URL: BASE }));

  /** The record as GET /api/{calls|messages}/{sid} answers it, without its history. */
  async function withoutEvents(kind: 'call' | 'message', recordSid: string) {
    const saved: Partial<SavedRecord> = await record(kind, recordSid);
    delete saved.events;
    return saved;
  }

  /** Every listing the record is in, by its number, each read afresh. */
  async function listedBy(kind: 'call' | 'message', number: string, direction: string) {
    const query = `number=${encodeURIComponent(number)}`;
    return [(await listAll(kind, query)).items, (await listAll(kind, `${query}&direction=${direction}`)).items];
  }

  it('a call listed before and after its status callbacks shows its current status, as GET shows it', async () => {
    const call = sid('CA');
    const caller = uniqueNumber();
    const fields = { CallSid: call, From: caller, To: TEST_PHONE_NUMBER, CallStatus: 'ringing', Direction: 'inbound' };
    expect((await invoke(voiceWebhook, signedForm(voiceUrl, fields))).response.status).toBe(200);
    expect(await listedBy('call', caller, 'inbound')).toEqual([
      [await withoutEvents('call', call)],
      [await withoutEvents('call', call)],
    ]);
    expect((await listedBy('call', caller, 'inbound'))[0]![0]).toMatchObject({ status: 'ringing' });

    const inbound = { Direction: 'inbound', From: caller, To: TEST_PHONE_NUMBER };
    await callCallback(call, 'completed', 2, { ...inbound, CallDuration: '7' });
    // A late callback of an earlier status: the record, and so every listing, stays completed.
    await callCallback(call, 'in-progress', 1, inbound);
    const current = await withoutEvents('call', call);
    expect(current).toMatchObject({ status: 'completed', duration: 7, sequence: 2 });
    expect(await listedBy('call', caller, 'inbound')).toEqual([[current], [current]]);
  });

  it('after 50 parallel callbacks for one call, its listings show the final record', async () => {
    const call = sid('CA');
    const callee = uniqueNumber();
    const statuses = Array.from({ length: 50 }, (_, sequence) =>
      sequence === 49 ? 'completed' : sequence === 0 ? 'initiated' : sequence < 10 ? 'ringing' : 'in-progress',
    );
    await Promise.all(statuses.map((status, sequence) => callCallback(call, status, sequence, { To: callee })));
    const current = await withoutEvents('call', call);
    expect(current).toMatchObject({ status: 'completed', sequence: 49 });
    expect(await listedBy('call', callee, 'outbound')).toEqual([[current], [current]]);
  });

  it('a text listed after each status callback shows the status GET shows, delivered becoming read', async () => {
    const message = sid('SM');
    const to = uniqueNumber();
    for (const [status, expected] of [
      ['sent', 'sent'],
      ['delivered', 'delivered'],
      ['sending', 'delivered'],
      ['read', 'read'],
    ] as const) {
      await messageCallback(message, status, { To: to });
      const current = await withoutEvents('message', message);
      expect(current.status).toBe(expected);
      expect(await listedBy('message', to, 'outbound')).toEqual([[current], [current]]);
    }
  });

  it('a listing reads no record: its rows carry them', async () => {
    const to = uniqueNumber();
    const messages = [sid('SM'), sid('SM'), sid('SM')];
    for (const message of messages) await messageCallback(message, 'sent', { To: to });
    const pointReads = vi.spyOn(TableClient.prototype, 'getEntity');
    try {
      await messageCallback(messages[0]!, 'delivered', { To: to });
      expect(pointReads).toHaveBeenCalled(); // the spy sees the app's reads
      pointReads.mockClear();
      const { items } = await listAll('message', `number=${encodeURIComponent(to)}&limit=2`);
      expect(items.map((item) => item.sid).sort()).toEqual([...messages].sort());
      expect(pointReads).not.toHaveBeenCalled();
    } finally {
      pointReads.mockRestore();
    }
  });

  it('a listing row written before rows carried their record (only its SID) still lists the record', async () => {
    const message = sid('SM');
    const from = uniqueNumber();
    await inboundSms({ MessageSid: message, From: from, To: TEST_PHONE_NUMBER, Body: 'older' });
    const current = await withoutEvents('message', message);
    const table = TableClient.fromConnectionString(baseSettings.AzureWebJobsStorage, RECORDS_TABLE, {
      allowInsecureConnection: true,
    });
    for (const { partitionKey, rowKey } of listingRows(current as CallOrMessage))
      await table.upsertEntity({ partitionKey, rowKey, sid: message }, 'Replace');
    expect(await listedBy('message', from, 'inbound')).toEqual([[current], [current]]);
  });
});

describe('read endpoints', () => {
  const ours = uniqueNumber();
  const inbound: string[] = [];
  const outbound: string[] = [];

  beforeAll(async () => {
    useSettings({ PUBLIC_BASE_URL: BASE });
    for (let i = 0; i < 23; i++) {
      const message = sid('SM');
      if (i % 3 === 0) {
        outbound.push(message);
        await messageCallback(message, 'sent', { From: ours, To: uniqueNumber() });
      } else {
        inbound.push(message);
        await inboundSms({ MessageSid: message, From: uniqueNumber(), To: ours, Body: `#${i}` });
      }
    }
  });
  beforeEach(() => useSettings({ PUBLIC_BASE_URL: BASE }));

  it('pages cover every record exactly once, newest first', async () => {
    const { pages, items } = await listAll('message', `number=${encodeURIComponent(ours)}&limit=5`);
    expect(pages).toBe(5);
    expect(items.map((item) => item.sid).sort()).toEqual([...inbound, ...outbound].sort());
    const created = items.map((item) => item.createdAt);
    expect(created).toEqual([...created].sort().reverse());
  });

  it('filters by direction, and by either party', async () => {
    expect(
      (await listAll('message', `number=${encodeURIComponent(ours)}&direction=inbound&limit=100`)).items
        .map((item) => item.sid)
        .sort(),
    ).toEqual([...inbound].sort());
    expect(
      (await listAll('message', `number=${encodeURIComponent(ours)}&direction=outbound`)).items
        .map((item) => item.sid)
        .sort(),
    ).toEqual([...outbound].sort());
    expect((await listAll('call', `number=${encodeURIComponent(ours)}`)).items).toEqual([]);
  });

  it('answers a record with its history, 404 for an unknown SID and 400 for a malformed one', async () => {
    expect((await record('message', inbound[0]!)).events).toHaveLength(1);
    const unknown = await read('message', sid('SM'));
    expect(unknown.response.status).toBe(404);
    const malformed = await read('call', inbound[0]!);
    expect(malformed.response.status).toBe(400);
    expect(malformed.json()).toEqual({
      error: 'Invalid SID',
      problems: [{ field: 'sid', message: 'must be a call SID (CA followed by 32 hex digits)' }],
    });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=-1', 'limit'],
    ['direction=sideways', 'direction'],
    ['number=5550001111', 'number'],
    ['cursor=nonsense', 'cursor'],
    ['page=2', 'page'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const result = await list('message', query);
    expect(result.response.status).toBe(400);
    expect((result.json() as { problems: Array<{ field: string }> }).problems.map((problem) => problem.field)).toEqual([
      field,
    ]);
  });

  it('accepts the function key in the query string, as Azure passes it', async () => {
    expect((await list('message', `code=abc&limit=1&number=${encodeURIComponent(ours)}`)).response.status).toBe(200);
  });
});

describe('values storage cannot hold as they are', () => {
  beforeEach(() => useSettings({ PUBLIC_BASE_URL: BASE }));

  it.each([
    ['valueOf'],
    ['constructor'],
    ['sent/queued'],
    ['a#b'],
    ['what?'],
    ['back\\slash'],
    ['ctl\u0001\u001f\u007f'],
    ['lone\ud800surrogate'],
    ['line\u2028separator\u2029'],
    ['x'.repeat(5_000)],
  ])('records a MessageStatus %j (a key part) as an event, never 503', async (status) => {
    const message = sid('SM');
    expect((await messageCallback(message, 'sent')).response.status).toBe(204);
    expect((await messageCallback(message, status)).response.status).toBe(204);
    expect((await messageCallback(message, status)).response.status).toBe(204);
    const saved = await record('message', message);
    expect(saved.status).toBe('sent');
    expect(saved.events.map((event) => event.status)).toEqual(['sent', status.toWellFormed()]);
  });

  it('keeps a body longer than a table property holds, cut and flagged, and From/To that are not numbers', async () => {
    const message = sid('SM');
    const from = `client:${'é/#?'.repeat(600)}`;
    const body = `${'a'.repeat(40_000)}\ud800`;
    const result = await inboundSms({ MessageSid: message, From: from, To: TEST_PHONE_NUMBER, Body: body });
    expect(result.response.status).toBe(200);
    const saved = (await record('message', message)) as SavedRecord & { truncated?: string[] };
    expect(saved).toMatchObject({ from, truncated: ['body'] });
    expect(saved.body).toBe('a'.repeat(32_000));
  });

  it('records an SMS whose Body and From hold U+2028, U+2029 and U+0085 (line separators to a JavaScript parser), as they were', async () => {
    // Azurite split a transaction's lines on U+2028/U+2029 and answered 500, so this text got 503 forever.
    const message = sid('SM');
    const from = `client:line\u2028para\u2029next\u0085`;
    const body = `one\u2028two\u2029three\u0085four \\u2028 stays six characters`;
    const result = await inboundSms({ MessageSid: message, From: from, To: TEST_PHONE_NUMBER, Body: body });
    expect(result.response.status).toBe(200);
    expect(await record('message', message)).toMatchObject({ from, body, events: [{ status: 'received' }] });
    expect(
      (await inboundSms({ MessageSid: message, From: from, To: TEST_PHONE_NUMBER, Body: body })).response.status,
    ).toBe(200);
  });

  it('lists events in the order they happened: an unknown status received last stays last', async () => {
    const message = sid('SM');
    for (const status of ['sent', 'queued', 'mystery', 'delivered']) await messageCallback(message, status);
    expect((await record('message', message)).events.map((event) => event.status)).toEqual([
      'queued',
      'sent',
      'mystery',
      'delivered',
    ]);
  });
});
