import { postSigned } from '../support/signed';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { shortenDeadlinesForTests } from '../../lib/config/deadlines';
import { RECORDS_TABLE } from '../../lib/records/tables';
import { startAppHost } from '../support/appHost';
import { useSettings } from '../support/settings';

/**
 * Over real HTTP through the local host, against an Azurite of this file's own that keeps its
 * data on disk, so it can be stopped and started again in the middle of a run.
 */
let app: Awaited<ReturnType<typeof startAppHost>>;
let azurite: RunningAzurite;
let location: string;
let tablePort: number;
const hostLog: string[] = [];

beforeAll(async () => {
  location = mkdtempSync(join(tmpdir(), 'records-azurite-'));
  azurite = await startAzurite({ services: 'app', location });
  tablePort = Number(new URL(azurite.tableEndpoint).port);
  useSettings({ AzureWebJobsStorage: azurite.connectionString });
  app = await startAppHost((level, name, message) => hostLog.push(`${level} ${name}: ${message}`));
});
afterAll(async () => {
  await app?.close();
  await azurite?.stop();
  rmSync(location, { recursive: true, force: true });
});

const uniqueNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

/** An inbound SMS webhook signed as Twilio signs it, for the URL the local host serves. */
function smsDelivery(to: string) {
  const fields = { MessageSid: `SM${randomBytes(16).toString('hex')}`, From: uniqueNumber(), To: to, Body: 'load' };
  return fields;
}

async function deliver(fields: Record<string, string>): Promise<number> {
  const url = `${app.url}/api/twilio/sms`;
  try {
    const response = await postSigned(url, fields, { signal: AbortSignal.timeout(20_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Runs the tasks with at most `inFlight` at once, in order of the list. */
async function pool<T>(tasks: Array<() => Promise<T>>, inFlight: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return results;
}

async function listedSids(number: string): Promise<string[]> {
  const sids: string[] = [];
  let cursor: string | null = null;
  do {
    const response = await fetch(
      `${app.url}/api/messages?number=${encodeURIComponent(number)}&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: Array<{ sid: string }>; nextCursor: string | null };
    sids.push(...page.items.map((item) => item.sid));
    cursor = page.nextCursor;
  } while (cursor);
  return sids;
}

async function eventCount(sid: string): Promise<number> {
  const response = await fetch(`${app.url}/api/messages/${sid}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: unknown[] }).events.length;
}

const countBy = (values: number[]) =>
  values.reduce<Record<number, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});

describe('inbound SMS under load', () => {
  // Concurrency, not volume, is what can break exactly-once: 50 in flight and a third of the
  // messages delivered twice, so duplicates race each other; 400 deliveries also page the listing.
  it('300 messages at 50 in flight, a third delivered twice: each recorded exactly once, no 5xx', async () => {
    const to = uniqueNumber();
    const messages = Array.from({ length: 300 }, () => smsDelivery(to));
    const deliveries = [...messages, ...messages.filter((_, i) => i % 3 === 0)].sort(() => Math.random() - 0.5);
    const started = performance.now();
    const statuses = await pool(
      deliveries.map((fields) => () => deliver(fields)),
      50,
    );
    const seconds = (performance.now() - started) / 1000;
    const recorded = await listedSids(to);
    console.log(
      `load: ${deliveries.length} deliveries (${messages.length} distinct, ${deliveries.length - messages.length} repeated) in ${seconds.toFixed(1)} s ` +
        `(${(deliveries.length / seconds).toFixed(0)}/s); statuses ${JSON.stringify(countBy(statuses))}; recorded ${recorded.length}, distinct ${new Set(recorded).size}`,
    );
    expect(countBy(statuses)).toEqual({ 200: deliveries.length });
    expect(recorded.length).toBe(messages.length);
    expect(new Set(recorded)).toEqual(new Set(messages.map((fields) => fields.MessageSid)));
    const repeated = messages.filter((_, i) => i % 3 === 0).slice(0, 50);
    expect(await Promise.all(repeated.map((fields) => eventCount(fields.MessageSid)))).toEqual(repeated.map(() => 1));
  }, 120_000);
});

describe('storage outage', () => {
  it('answers 503 while storage is down, never 200 unrecorded; the retried deliveries are recorded once', async () => {
    const to = uniqueNumber();
    const before = Array.from({ length: 10 }, () => smsDelivery(to));
    const during = Array.from({ length: 10 }, () => smsDelivery(to));
    expect(await Promise.all(before.map(deliver))).toEqual(before.map(() => 200));

    await azurite.stop();
    const logged = hostLog.length;
    // Waiting the storage deadline out proves nothing more at 8 s than at 1.5 s (see lib/config/deadlines.ts).
    const productionDeadlines = shortenDeadlinesForTests({ storageMs: 1_500, healthProbeMs: 500 });
    try {
      const down = await Promise.all(during.map(deliver));
      expect(down).toEqual(during.map(() => 503));
      expect(
        hostLog.slice(logged).filter((line) => line.startsWith('error smsWebhook: Record storage is unavailable')),
      ).toHaveLength(during.length);
      const health = await fetch(`${app.url}/api/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'storage-unreachable', storageReach: { reachable: false } });
    } finally {
      productionDeadlines();
    }

    azurite = await startAzurite({ services: 'app', location, tablePort });
    // Twilio retries what failed; a retry of what had succeeded is harmless too.
    expect(await Promise.all([...during, ...before.slice(0, 3)].map(deliver))).toEqual(
      [...during, ...before.slice(0, 3)].map(() => 200),
    );
    const recorded = await listedSids(to);
    expect(new Set(recorded)).toEqual(new Set([...before, ...during].map((fields) => fields.MessageSid)));
    expect(recorded).toHaveLength(20);
    expect(await Promise.all([...before, ...during].map((fields) => eventCount(fields.MessageSid)))).toEqual(
      new Array(20).fill(1),
    );
  }, 60_000);

  it('creates the table again when it is gone: reads find nothing, the next write succeeds', async () => {
    expect(await deliver(smsDelivery(uniqueNumber()))).toBe(200);
    await TableClient.fromConnectionString(azurite.connectionString, RECORDS_TABLE, {
      allowInsecureConnection: true,
    }).deleteTable();
    expect(await listedSids(uniqueNumber())).toEqual([]);
    const fields = smsDelivery(uniqueNumber());
    expect(await deliver(fields)).toBe(200);
    expect(await eventCount(fields.MessageSid)).toBe(1);
  });
});
