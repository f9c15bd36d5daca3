import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { odata, TableClient, type TransactionAction } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../lib/config/settings';
import { eraseNumber } from '../../lib/records/erasure';
import { eventEntity, recordEntity } from '../../lib/records/entities';
import { listingRows } from '../../lib/records/listing';
import { recordSchema, type Observation } from '../../lib/records/model';
import { IDEMPOTENCY_TABLE, RECORDS_TABLE } from '../../lib/records/tables';
import { baseSettings } from '../support/settings';
import { startPhone, type Phone } from '../support/phone';

/** A flow that records every caller (no notification text that would name the caller elsewhere). */
const RECORDING_FLOW = {
  voice: {
    entry: 'record',
    steps: { record: { actions: [{ say: 'Leave a message.' }, { record: { maxLength: 30 } }] } },
  },
  messaging: { reply: 'Thanks.' },
};

/** What an erasure counts, as its answer names them. */
const ERASED_KINDS = [
  'calls',
  'conversations',
  'events',
  'flowState',
  'idempotencyKeys',
  'listingRows',
  'messages',
  'recordings',
];

let phone: Phone;
let flowDir: string;
/** The phone's Azurite, which the app uses. */
let connection: string;
let records: TableClient;
let keys: TableClient;
const uniqueNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

beforeAll(async () => {
  flowDir = mkdtempSync(join(tmpdir(), 'erasure-flow-'));
  writeFileSync(join(flowDir, 'flows.json'), JSON.stringify(RECORDING_FLOW));
  phone = await startPhone({ flows: join(flowDir, 'flows.json') });
  connection = process.env.AzureWebJobsStorage!;
  records = TableClient.fromConnectionString(connection, RECORDS_TABLE, { allowInsecureConnection: true });
  keys = TableClient.fromConnectionString(connection, IDEMPOTENCY_TABLE, { allowInsecureConnection: true });
  await Promise.all([records.createTable(), keys.createTable()]);
});
afterAll(async () => {
  await phone?.close();
  rmSync(flowDir, { recursive: true, force: true });
});

const erase = async (number: string) => {
  const response = await fetch(`${phone.appUrl}/api/numbers/${encodeURIComponent(number)}/data`, { method: 'DELETE' });
  return { status: response.status, body: (await response.json()) as { erased: Record<string, number> } };
};

/** Every entity of both tables whose keys or values name the number, as written or percent-encoded. */
async function entitiesNaming(number: string): Promise<string[]> {
  const forms = [number, encodeURIComponent(number)];
  const found: string[] = [];
  for (const table of [records, keys])
    for await (const entity of table.listEntities())
      if (forms.some((form) => JSON.stringify(entity).includes(form)))
        found.push(`${table.tableName} ${entity.partitionKey} ${entity.rowKey}`);
  return found;
}

/** `count` message records from the number, each as the SMS webhook writes it (record, event, listing rows), in bulk. */
async function textsFrom(number: string, count: number) {
  const at = new Date().toISOString();
  const byPartition = new Map<string, TransactionAction[]>();
  for (let index = 0; index < count; index++) {
    const observation: Observation = {
      ...{ kind: 'message', sid: `SM${randomBytes(16).toString('hex')}`, direction: 'inbound', status: 'received' },
      ...{ from: number, to: phone.number, body: 'load', source: 'sms-webhook', eventKey: 'sms-webhook' },
    };
    const record = recordSchema.parse({ ...observation, createdAt: at, updatedAt: at });
    const actions: TransactionAction[] = [
      ['create', recordEntity(record)],
      ['create', eventEntity(observation, at)],
      ...listingRows(record).map((row): TransactionAction => ['create', row]),
    ];
    const partition = actions[0]![1].partitionKey;
    byPartition.set(partition, [...(byPartition.get(partition) ?? []), ...actions]);
  }
  await Promise.all(
    [...byPartition.values()].map(async (actions) => {
      for (let start = 0; start < actions.length; start += 100)
        await records.submitTransaction(actions.slice(start, start + 100));
    }),
  );
}

describe('DELETE /api/numbers/{e164}/data', () => {
  it("erases the number's calls, texts, recordings (at Twilio too) and keys; keeps others' data and the erasure; a second request finds nothing", async () => {
    const number = uniqueNumber();
    const other = uniqueNumber();
    const call = await phone.call({ from: number, digits: ['#'], recordingSeconds: 3 });
    await phone.text('hello', { from: number });
    await phone.text('hello', { from: other });
    const sent = await fetch(`${phone.appUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': randomBytes(8).toString('hex') },
      body: JSON.stringify({ to: number, body: 'hi' }),
    });
    expect(sent.status).toBe(201);
    const recording = (await (await fetch(`${phone.appUrl}/api/calls/${call.sid}`)).json()) as { recordings: string[] };
    expect(recording.recordings).toHaveLength(1);
    const recordingAtTwilio = (url: string) => fetch(`${url}.json`, { headers: { authorization: basicAuth() } });
    expect((await recordingAtTwilio(recording.recordings[0]!)).status).toBe(200);

    const first = await erase(number);
    expect(first.status).toBe(200);
    expect(Object.keys(first.body.erased).sort()).toEqual(ERASED_KINDS);
    expect(first.body.erased).toMatchObject({ calls: 1, messages: 2, recordings: 1, idempotencyKeys: 1 });
    expect(first.body.erased.listingRows).toBeGreaterThanOrEqual(18);
    expect((await recordingAtTwilio(recording.recordings[0]!)).status).toBe(404);
    expect(await entitiesNaming(number)).toEqual([expect.stringMatching(/^TwilioRecords erasure\|%2B\d+ /)]);
    const others = (await (await fetch(`${phone.appUrl}/api/messages?number=${encodeURIComponent(other)}`)).json()) as {
      items: unknown[];
    };
    expect(others.items).toHaveLength(1);

    const second = await erase(number);
    expect(second.body.erased).toEqual(Object.fromEntries(ERASED_KINDS.map((kind) => [kind, 0])));
    expect((await entitiesNaming(number)).filter((entity) => entity.includes('erasure|'))).toHaveLength(2);
  });

  it('erases 2,000 records, and an erasure interrupted halfway is finished by the next request', async () => {
    const number = uniqueNumber();
    let started = Date.now();
    await textsFrom(number, 2_000);
    console.log(`2,000 records written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const settings = loadSettings({ ...baseSettings, AzureWebJobsStorage: connection });
    // Interrupted once it has deleted some, however busy the machine is: the first partition's rows of the number shrink.
    const interruption = new AbortController();
    const interrupted = eraseNumber(settings, number, 'interrupted', { signal: interruption.signal });
    const rowsInFirstShard = async () => {
      let rows = 0;
      const prefix = `n|${encodeURIComponent(number)}|`;
      const filter = odata`PartitionKey eq ${'message|0'} and RowKey gt ${prefix} and RowKey lt ${`${prefix}~`}`;
      for await (const page of records.listEntities({ queryOptions: { filter, select: ['RowKey'] } }).byPage())
        rows += page.length;
      return rows;
    };
    const full = await rowsInFirstShard();
    while ((await rowsInFirstShard()) === full) await new Promise((resolve) => setTimeout(resolve, 100));
    interruption.abort(new Error('interrupted by the test'));
    await expect(interrupted).rejects.toThrow(/unavailable/i);
    started = Date.now();
    const rest = await erase(number);
    const seconds = (Date.now() - started) / 1000;
    expect(rest.status).toBe(200);
    expect(rest.body.erased.messages).toBeGreaterThan(0);
    expect(rest.body.erased.messages).toBeLessThan(2_000);
    console.log(`erasure of the rest: ${JSON.stringify(rest.body.erased)} in ${seconds.toFixed(1)} s`);
    expect(await entitiesNaming(number)).toHaveLength(2);
    expect((await erase(number)).body.erased.messages).toBe(0);
  }, 120_000);

  it('refuses a number that is not E.164, naming the field', async () => {
    const response = await fetch(`${phone.appUrl}/api/numbers/12345/data`, { method: 'DELETE' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ problems: [{ field: 'e164' }] });
  });
});

const basicAuth = () =>
  `Basic ${Buffer.from(`${baseSettings.TWILIO_ACCOUNT_SID}:${baseSettings.TWILIO_AUTH_TOKEN}`).toString('base64')}`;
