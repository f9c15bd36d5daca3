import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { eraseNumber, erasurePartition } from '../../../lib/records/erasure';
import { listRecords } from '../../../lib/records/listing';
import { smsWebhookObservation, statusCallbackObservation } from '../../../lib/records/observations';
import { findRecord, saveObservation } from '../../../lib/records/store';
import { withTables } from '../../../lib/records/tables';
import { baseSettings, TEST_ACCOUNT_SID, TEST_PHONE_NUMBER } from '../../support/settings';

const settings = loadSettings(baseSettings);
const uniqueNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

async function textFrom(from: string): Promise<string> {
  const MessageSid = `SM${randomBytes(16).toString('hex')}`;
  const fields = { MessageSid, AccountSid: TEST_ACCOUNT_SID, From: from, To: TEST_PHONE_NUMBER, Body: 'hello' };
  await saveObservation(settings, smsWebhookObservation(fields));
  await saveObservation(settings, statusCallbackObservation({ ...fields, MessageStatus: 'received' }));
  return MessageSid;
}

describe('eraseNumber (Azurite)', () => {
  it('erases every record that involves the number with its events and listing rows, and only those', async () => {
    const number = uniqueNumber();
    const other = uniqueNumber();
    const mine = [await textFrom(number), await textFrom(number)];
    const theirs = await textFrom(other);
    const erasure = await eraseNumber(settings, number, 'request-1');
    expect(erasure.erased).toMatchObject({ calls: 0, messages: 2, events: 4, recordings: 0 });
    expect(erasure.erased.listingRows).toBeGreaterThan(0);
    for (const sid of mine) expect(await findRecord(settings, 'message', sid)).toBeUndefined();
    expect((await listRecords(settings, 'message', { number, limit: 50 })).items).toEqual([]);
    expect(await findRecord(settings, 'message', theirs)).toBeDefined();
  });

  it('keeps an entity saying when, at whose request and how much, and a second run erases nothing more', async () => {
    const number = uniqueNumber();
    await textFrom(number);
    await eraseNumber(settings, number, 'first');
    const again = await eraseNumber(settings, number, 'second');
    expect(Object.values(again.erased).every((count) => count === 0)).toBe(true);
    const kept = await withTables(settings, AbortSignal.timeout(10_000), async ({ records }) => {
      const entities = [];
      for await (const entity of records.listEntities<{ state: string; erased: string; request: string }>({
        queryOptions: { filter: `PartitionKey eq '${erasurePartition(number)}'` },
      }))
        entities.push(entity);
      return entities;
    });
    expect(kept.map((entity) => [entity.request, entity.state, JSON.parse(entity.erased).messages])).toEqual([
      ['first', 'done', 1],
      ['second', 'done', 0],
    ]);
    expect(JSON.stringify(kept)).not.toContain('hello');
  });
});
