import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { placedObservation } from '../../../lib/records/observations';
import {
  activeConversationId,
  claimPair,
  expireConversations,
  indexByParty,
  readConversation,
  writeConversation,
  type Conversation,
} from '../../../lib/records/conversations';
import { expireRecords } from '../../../lib/records/retention';
import { withTables } from '../../../lib/records/tables';
import { findRecord, saveObservation } from '../../../lib/records/store';
import { startFakeEndpoint, type FakeEndpoint } from '../../support/fakeEndpoint';
import { saveRecordedCall } from '../../support/records';
import { baseSettings, TEST_PHONE_NUMBER } from '../../support/settings';

/** Long ago, so that what expires as of then is only what this file wrote, in the Azurite every file shares. */
const NOW = new Date('2019-06-01T03:30:00Z');
const DAY = 24 * 60 * 60 * 1000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const hex = () => randomBytes(16).toString('hex');

let twilio: FakeEndpoint;
beforeAll(async () => {
  twilio = await startFakeEndpoint({ status: 204 });
});
afterAll(() => twilio.close());
const settingsWith = (extra: Record<string, string> = {}) =>
  loadSettings({ ...baseSettings, TWILIO_API_BASE_URL: twilio.url, ...extra });
const run = (settings: ReturnType<typeof settingsWith>, deadline = Date.now() + 20_000) =>
  expireRecords(settings, { now: NOW, deadline, signal: AbortSignal.timeout(25_000) });

async function callAt(daysAgo: number, recorded = false): Promise<string> {
  const settings = settingsWith();
  if (recorded) return (await saveRecordedCall(settings, ago(daysAgo))).sid;
  const sid = `CA${hex()}`;
  await saveObservation(
    settings,
    placedObservation('call', { sid, status: 'queued', to: '+15550100199', from: TEST_PHONE_NUMBER }),
    { now: ago(daysAgo) },
  );
  return sid;
}

describe('expireRecords (Azurite)', () => {
  it('deletes a record past RECORD_RETENTION_DAYS with its events and listing rows, and keeps a newer one', async () => {
    const settings = settingsWith({ RECORD_RETENTION_DAYS: '30' });
    const old = await callAt(31);
    const recent = await callAt(29);
    const counts = await run(settings);
    expect(counts).toMatchObject({ records: 1, events: 1, finished: true });
    expect(counts.listingRows).toBeGreaterThan(0);
    expect(await findRecord(settings, 'call', old)).toBeUndefined();
    expect(await findRecord(settings, 'call', recent)).toBeDefined();
  });

  it('deletes recordings at Twilio after RECORDING_RETENTION_DAYS, once, the record keeping when', async () => {
    const settings = settingsWith({ RECORD_RETENTION_DAYS: '3650', RECORDING_RETENTION_DAYS: '7' });
    const sid = await callAt(8, true);
    const before = twilio.requests.length;
    expect((await run(settings)).recordingsDeleted).toBe(1);
    expect(twilio.requests.slice(before).map((request) => request.method)).toEqual(['DELETE']);
    expect(await findRecord(settings, 'call', sid)).toMatchObject({ recordingsDeletedAt: NOW.toISOString() });
    expect((await run(settings)).recordingsDeleted).toBe(0);
  });

  it('says it did not finish when its time is up, for the next run to go on', async () => {
    expect((await run(settingsWith(), Date.now() - 1)).finished).toBe(false);
  });
});

describe('expireConversations (Azurite)', () => {
  /** An ended conversation last moved `daysAgo` before NOW (only this file writes conversations that old). */
  async function endedAt(daysAgo: number): Promise<string> {
    const id = `CV${hex()}`;
    const conversation: Conversation = {
      ...{ id, line: TEST_PHONE_NUMBER, party: '+15550100199', status: 'ended', endReason: 'completed', turn: 1 },
      ...{ state: { variables: {}, widgets: {}, secret: [] }, path: [], lastTexts: [], origin: 'http://localhost' },
      ...{ startedAt: ago(daysAgo).toISOString(), updatedAt: ago(daysAgo).toISOString() },
    };
    expect(await writeConversation(settingsWith(), conversation, undefined)).toBe(true);
    return id;
  }
  const expire = (deadline: number) =>
    withTables(settingsWith(), AbortSignal.timeout(25_000), ({ conversations }) =>
      expireConversations(conversations, {
        now: NOW,
        cutoff: ago(30).toISOString(),
        deadline,
        signal: AbortSignal.timeout(25_000),
        pageSize: 1,
      }),
    );

  it('stops after a page when its time is up; the next run deletes the rest, then a run finds nothing', async () => {
    const old = [await endedAt(31), await endedAt(40), await endedAt(50)];
    const recent = await endedAt(29);
    const cut = await expire(Date.now() - 1);
    expect(cut).toEqual({ conversations: 1, conversationRows: 0, finished: false });
    expect(await expire(Date.now() + 20_000)).toEqual({ conversations: 2, conversationRows: 0, finished: true });
    for (const id of old) expect(await readConversation(settingsWith(), id)).toBeUndefined();
    expect(await readConversation(settingsWith(), recent)).toBeDefined();
    expect(await expire(Date.now() + 20_000)).toEqual({ conversations: 0, conversationRows: 0, finished: true });
  });

  it('keeps a conversation that a reply moved between its query and its deletion, with its pair and party rows', async () => {
    const settings = settingsWith();
    const id = await endedAt(45);
    const stored = (await readConversation(settings, id))!;
    const party = stored.conversation.party;
    await indexByParty(settings, party, id);
    expect(await claimPair(settings, TEST_PHONE_NUMBER, party, id)).toBe(true);
    const expired = await withTables(settings, AbortSignal.timeout(25_000), async ({ conversations }) => {
      // The real table, with a reply's write landing just before the conversation's own deletion.
      const racing = new Proxy(conversations, {
        get: (table, name) =>
          name === 'deleteEntity'
            ? async (partitionKey: string, rowKey: string, options: object) => {
                if (partitionKey === `conversation|${id}`) {
                  const moved = { ...stored.conversation, status: 'waiting' as const, updatedAt: NOW.toISOString() };
                  expect(await writeConversation(settings, moved, stored.etag)).toBe(true);
                }
                return table.deleteEntity(partitionKey, rowKey, options);
              }
            : Reflect.get(table, name, table),
      });
      const signal = AbortSignal.timeout(25_000);
      return expireConversations(racing, {
        now: NOW,
        cutoff: ago(30).toISOString(),
        deadline: Date.now() + 20_000,
        signal,
      });
    });
    expect(expired).toEqual({ conversations: 0, conversationRows: 0, finished: true });
    expect((await readConversation(settings, id))?.conversation.status).toBe('waiting');
    expect(await activeConversationId(settings, TEST_PHONE_NUMBER, party)).toBe(id);
  });
});
