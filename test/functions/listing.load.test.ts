import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { getSettings } from '../../lib/config/settings';
import { listQuery, listRecords } from '../../lib/records/listing';
import { smsWebhookObservation } from '../../lib/records/observations';
import { saveObservation } from '../../lib/records/store';
import { useSettings } from '../support/settings';

/**
 * Listings while others list (issue 17: under 16 concurrent fuzzers a listing that takes
 * 0.12–0.35 s alone hit the 8 s storage deadline). An Azurite of this file's own, filled with
 * a few thousand texts, then one listing alone and sixteen at once.
 */
let azurite: RunningAzurite;
/** A measurement, not a check: it runs when LISTING_LOAD_RECORDS says how many texts to store. */
const RECORDS = Number(process.env.LISTING_LOAD_RECORDS ?? 0);

beforeAll(async () => {
  if (!RECORDS) return;
  azurite = await startAzurite({ services: 'app' });
  useSettings({ AzureWebJobsStorage: azurite.connectionString });
  const settings = getSettings();
  let next = 0;
  const worker = async () => {
    while (next < RECORDS) {
      next++;
      const params = {
        MessageSid: `SM${randomBytes(16).toString('hex')}`,
        From: `+1555${String(next).padStart(7, '0')}`,
        To: '+15005550006',
        Body: 'load',
      };
      await saveObservation(settings, smsWebhookObservation(params));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}, 120_000);
afterAll(async () => {
  await azurite?.stop();
});

/** How long one listing took; a listing that failed (the 8 s deadline) counts as failed. */
let failedListings = 0;
async function timedListing(): Promise<number> {
  const started = performance.now();
  try {
    const page = await listRecords(getSettings(), 'message', listQuery.parse({}));
    expect(page.items).toHaveLength(50);
  } catch (error) {
    failedListings++;
    console.log(`listing failed after ${Math.round(performance.now() - started)} ms: ${String(error)}`);
  }
  return performance.now() - started;
}

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: Math.round(sorted[Math.floor(sorted.length / 2)]!), max: Math.round(sorted[sorted.length - 1]!) };
};

async function timedWrite(): Promise<number> {
  const started = performance.now();
  const params = {
    MessageSid: `SM${randomBytes(16).toString('hex')}`,
    From: '+15550009999',
    To: '+15005550006',
    Body: 'x',
  };
  await saveObservation(getSettings(), smsWebhookObservation(params));
  return performance.now() - started;
}

describe.runIf(RECORDS > 0)(`listings of ${RECORDS} texts`, () => {
  it('sixteen at once all answer within the storage deadline, and a webhook write meanwhile is not held behind them', async () => {
    const alone: number[] = [];
    for (let i = 0; i < 5; i++) alone.push(await timedListing());
    const together: number[] = [];
    const writes: number[] = [];
    for (let round = 0; round < 2; round++) {
      let listing = true;
      const writer = (async () => {
        while (listing) writes.push(await timedWrite());
      })();
      together.push(...(await Promise.all(Array.from({ length: 16 }, timedListing))));
      listing = false;
      await writer;
    }
    console.log(
      `listing alone ${JSON.stringify(summary(alone))} ms; 16 at once ${JSON.stringify(summary(together))} ms; ` +
        `${writes.length} writes meanwhile ${JSON.stringify(summary(writes))} ms; ${failedListings} listings failed`,
    );
    expect(failedListings).toBe(0);
    expect(summary(together).max).toBeLessThan(8_000);
    expect(summary(writes).max).toBeLessThan(2_000);
  }, 120_000);
});
