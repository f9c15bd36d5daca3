import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { placedObservation } from '../../../lib/records/observations';
import { expireRecords } from '../../../lib/records/retention';
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
