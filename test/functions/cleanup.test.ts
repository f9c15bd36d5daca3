import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { startEmulator, type Emulator } from '../../dev/emulator/rest/server';
import { loadSettings, type Settings } from '../../lib/config/settings';
import { cleanup, CLEANUP_SCHEDULE } from '../../lib/outbound/cleanup';
import {
  addDue,
  claimPair,
  indexByParty,
  readConversation,
  writeConversation,
  type Conversation,
} from '../../lib/records/conversations';
import { listRecords } from '../../lib/records/listing';
import { findRecord, saveObservation } from '../../lib/records/store';
import { CONVERSATIONS_TABLE, IDEMPOTENCY_TABLE, RECORDS_TABLE } from '../../lib/records/tables';
import { registeredTriggers } from '../../dev/functionsHost';
import { loadFunctions } from '../../dev/functionsHost';
import { functionSourceFiles } from '../support/appHost';
import { baseSettings, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/settings';

/** The cleanup timer's work with a clock the test sets, against an Azurite of its own so counts are this file's. */
let azurite: RunningAzurite;
let emulator: Emulator;
let settings: Settings;
let records: TableClient;
let keys: TableClient;
const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2027-06-01T03:30:00Z');

beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  emulator = await startEmulator({ accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN });
  settings = loadSettings({
    ...baseSettings,
    AzureWebJobsStorage: azurite.connectionString,
    TWILIO_API_BASE_URL: emulator.url,
    RECORDING_RETENTION_DAYS: '30',
  });
  const open = (table: string) =>
    TableClient.fromConnectionString(azurite.connectionString, table, { allowInsecureConnection: true });
  records = open(RECORDS_TABLE);
  keys = open(IDEMPOTENCY_TABLE);
  await Promise.all([records.createTable(), keys.createTable()]);
});
afterAll(async () => {
  await emulator?.stop();
  await azurite?.stop();
});

const number = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

async function count(table: TableClient): Promise<number> {
  let entities = 0;
  for await (const page of table.listEntities({ queryOptions: { select: ['RowKey'] } }).byPage())
    entities += page.length;
  return entities;
}

/** A text from `from`, received `daysAgo` before NOW, then its status callback: a record, two events, six listing rows. */
async function textAt(from: string, daysAgo: number): Promise<string> {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const base = { kind: 'message', sid, direction: 'inbound', from, to: baseSettings.TWILIO_PHONE_NUMBER } as const;
  await saveObservation(
    settings,
    { ...base, status: 'received', source: 'sms-webhook', eventKey: 'sms-webhook', body: 'hi' },
    { now: ago(daysAgo) },
  );
  await saveObservation(
    settings,
    { ...base, status: 'received', source: 'status-callback', eventKey: 'status|received' },
    { now: ago(daysAgo) },
  );
  return sid;
}

async function key(daysAgo: number) {
  await keys.createEntity({
    partitionKey: `messages|${randomBytes(32).toString('hex')}`,
    rowKey: '',
    state: 'done',
    fingerprint: 'f',
    startedAt: ago(daysAgo).toISOString(),
  });
}

describe('the cleanup timer', () => {
  it('is registered once, on its schedule', async () => {
    await loadFunctions(functionSourceFiles());
    expect(registeredTriggers().timers.filter((timer) => timer.name === 'cleanup')).toEqual([
      expect.objectContaining({ schedule: CLEANUP_SCHEDULE }),
    ]);
  });

  it('deletes keys past 24 h and records past retention with their events and listing rows; newer ones stay', async () => {
    const caller = number();
    const old = [];
    const recent = [];
    for (let index = 0; index < 60; index++) old.push(await textAt(caller, 401 + (index % 30)));
    for (let index = 0; index < 40; index++) recent.push(await textAt(caller, 399 - (index % 300)));
    for (let index = 0; index < 30; index++) await key(1.05 + index / 10);
    for (let index = 0; index < 20; index++) await key(index / 24);
    const before = { records: await count(records), keys: await count(keys) };
    console.log(`after a bounded load: TwilioRecords ${before.records} entities, TwilioIdempotency ${before.keys}`);
    expect(before).toEqual({ records: 100 * 9, keys: 50 });

    const result = await cleanup(settings, new InvocationContext(), { now: NOW });
    const after = { records: await count(records), keys: await count(keys) };
    console.log(
      `after one cleanup run: TwilioRecords ${after.records} entities, TwilioIdempotency ${after.keys}; ${JSON.stringify(result)}`,
    );
    expect(result).toMatchObject({ idempotencyKeys: 30, records: 60, events: 120, listingRows: 360, finished: true });
    expect(after).toEqual({ records: 40 * 9, keys: 20 });
    for (const sid of old.slice(0, 5)) expect(await findRecord(settings, 'message', sid)).toBeUndefined();
    for (const sid of recent.slice(0, 5)) expect((await findRecord(settings, 'message', sid))?.events).toHaveLength(2);
    expect((await cleanup(settings, new InvocationContext(), { now: NOW })).records).toBe(0);
  }, 120_000);

  it('deletes recordings at Twilio after RECORDING_RETENTION_DAYS, the record keeping when', async () => {
    const twiml = '<Response><Record maxLength="5"/></Response>';
    const created = await fetch(`${emulator.url}/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${TEST_ACCOUNT_SID}:${TEST_AUTH_TOKEN}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ To: number(), From: baseSettings.TWILIO_PHONE_NUMBER, Twiml: twiml }),
    });
    const { sid: callSid } = (await created.json()) as { sid: string };
    await emulator.waitForCall(callSid);
    const [recordingSid] = [...emulator.recordings.keys()];
    expect(recordingSid).toMatch(/^RE/);
    const recordingUrl = `${emulator.url}/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/${recordingSid}`;
    await saveObservation(
      settings,
      {
        ...{ kind: 'call', sid: callSid, direction: 'outbound', status: 'completed', recordings: [recordingUrl] },
        ...{ source: 'recording-callback', eventKey: `recording|${recordingSid}` },
      },
      { now: ago(31) },
    );
    const result = await cleanup(settings, new InvocationContext(), { now: NOW });
    expect(result.recordingsDeleted).toBe(1);
    expect(emulator.recordings.has(recordingSid!)).toBe(false);
    expect(await findRecord(settings, 'call', callSid)).toMatchObject({
      recordings: [recordingUrl],
      recordingsDeletedAt: NOW.toISOString(),
    });
    const listed = (await listRecords(settings, 'call', { limit: 100 })).items.find((item) => item.sid === callSid);
    expect(listed?.recordingsDeletedAt).toBe(NOW.toISOString());
    expect((await cleanup(settings, new InvocationContext(), { now: NOW })).recordingsDeleted).toBe(0);
  });
});

/** A conversation as converse.ts stores it (party row, pair row while it holds the line, due row while it waits), last moved `daysAgo`. */
async function conversationAt(
  daysAgo: number,
  { status, dueAt, holdsPair }: { status: 'waiting' | 'ended'; dueAt?: Date; holdsPair: boolean },
): Promise<string> {
  const id = `CV${randomBytes(16).toString('hex')}`;
  const party = number();
  const conversation: Conversation = {
    ...{ id, line: baseSettings.TWILIO_PHONE_NUMBER, party, status, turn: 2, origin: 'http://localhost:7071' },
    ...(status === 'waiting' ? { step: 'rating', at: 0, dueAt: dueAt?.toISOString() } : { endReason: 'completed' }),
    ...{ state: { variables: {}, widgets: {}, secret: [] }, path: [], lastTexts: [] },
    ...{ startedAt: ago(daysAgo + 1).toISOString(), updatedAt: ago(daysAgo).toISOString() },
  };
  await indexByParty(settings, party, id);
  if (holdsPair) expect(await claimPair(settings, conversation.line, party, id)).toBe(true);
  if (dueAt) await addDue(settings, id, conversation.turn, dueAt.toISOString());
  expect(await writeConversation(settings, conversation, undefined)).toBe(true);
  return id;
}

describe('the cleanup timer and text conversations', () => {
  it('deletes conversations last active before RECORD_RETENTION_DAYS with their rows, keeps newer ones and ones still waiting; a second run counts zero', async () => {
    const table = TableClient.fromConnectionString(azurite.connectionString, CONVERSATIONS_TABLE, {
      allowInsecureConnection: true,
    });
    // Ended 401 days ago, its pair row left behind: the conversation, its party row and pair row go.
    const ended = await conversationAt(401, { status: 'ended', holdsPair: true });
    // Still waiting 401 days on, its deadline long gone: its timer never ran. It goes with its pair, party and due rows.
    const lost = await conversationAt(401, { status: 'waiting', dueAt: ago(400), holdsPair: true });
    // Still waiting, its deadline ahead (an ask with a long timeout): the timer's, it stays.
    const waiting = await conversationAt(401, {
      status: 'waiting',
      dueAt: new Date(NOW.getTime() + DAY),
      holdsPair: true,
    });
    // Ended 399 days ago: within retention, it stays.
    const recent = await conversationAt(399, { status: 'ended', holdsPair: false });
    const before = await count(table);
    expect(before).toBe(3 + 4 + 4 + 2);

    const result = await cleanup(settings, new InvocationContext(), { now: NOW });
    console.log(`conversations: ${before} entities before, ${await count(table)} after; ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ conversations: 2, conversationRows: 2 + 3, finished: true });
    expect(await count(table)).toBe(before - 7);
    for (const id of [ended, lost]) expect(await readConversation(settings, id)).toBeUndefined();
    for (const id of [waiting, recent]) expect(await readConversation(settings, id)).toBeDefined();

    const again = await cleanup(settings, new InvocationContext(), { now: NOW });
    expect(again).toMatchObject({ conversations: 0, conversationRows: 0, finished: true });
    expect(await count(table)).toBe(before - 7);
  }, 60_000);
});
