/**
 * A number's data erased on request (DELETE /api/numbers/{e164}/data): every record that
 * involves the number, found through its listing rows (listing.ts), with everything kept with it
 * (events, listing rows, a flow's state), its recordings at Twilio, the idempotency keys whose
 * stored answer names the number, and its text conversations. What the law needs kept stays: the opt-out entry, and an
 * erasure entity saying when, by which request and how much was erased.
 *
 * It can be interrupted anywhere and run again: recordings go before the record that lists them,
 * and a record and the number's listing rows go last, in the last transaction of their SID, so
 * whatever is left is still found the same way; a second run finishes the job.
 */
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { storageDeadline, DEADLINES } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { deleteRecording, RECORDING_SID } from '../twilio/client';
import { eraseConversations } from './conversations';
import { deleteInBatches, type EntityKey } from './deletion';
import { readSidEntities, recordFromEntity, sidRowKind } from './entities';
import { listingRows, numberListingRows } from './listing';
import type { Kind } from './status';
import { keyPart, withTables, type Tables } from './tables';

export interface ErasureCounts {
  calls: number;
  messages: number;
  events: number;
  listingRows: number;
  flowState: number;
  recordings: number;
  idempotencyKeys: number;
  conversations: number;
}

export interface Erasure {
  number: string;
  request: string;
  startedAt: string;
  finishedAt: string;
  erased: ErasureCounts;
}

/** Erasures are kept in their own partitions of TwilioRecords, one per number, one row per request. */
export const erasurePartition = (number: string) => `erasure|${keyPart(number)}`;

/** SIDs of one partition read at once; partitions are erased side by side, each in transactions of ≤ 100. */
const SIDS_IN_PARALLEL = 16;
const SIDS_PER_ROUND = 100;

const zero = (): ErasureCounts => ({
  calls: 0,
  messages: 0,
  events: 0,
  listingRows: 0,
  flowState: 0,
  recordings: 0,
  idempotencyKeys: 0,
  conversations: 0,
});

/** Erases what involves `number` and keeps an erasure entity; `request` names who asked (the invocation id). */
export async function eraseNumber(
  settings: Settings,
  number: string,
  request: string,
  { now = new Date(), signal = storageDeadline(DEADLINES.maintenanceMs) }: { now?: Date; signal?: AbortSignal } = {},
): Promise<Erasure> {
  return withTables(settings, signal, async (tables) => {
    const startedAt = now.toISOString();
    const erasure = { partitionKey: erasurePartition(number), rowKey: keyPart(request), number, request, startedAt };
    // Written first: an erasure that is interrupted is still on record as started.
    await tables.records.upsertEntity({ ...erasure, state: 'started' }, 'Replace', { abortSignal: signal });
    const erased = zero();
    for (const kind of ['call', 'message'] as const) await eraseKind(settings, tables, kind, number, erased, signal);
    erased.idempotencyKeys = await eraseIdempotencyKeys(tables.idempotency, number, signal);
    erased.conversations = await eraseConversations(tables.conversations, number, signal);
    const finishedAt = new Date().toISOString();
    await tables.records.upsertEntity(
      { ...erasure, state: 'done', finishedAt, erased: JSON.stringify(erased) },
      'Replace',
      { abortSignal: signal },
    );
    return { number, request, startedAt, finishedAt, erased };
  });
}

async function eraseKind(
  settings: Settings,
  tables: Tables,
  kind: Kind,
  number: string,
  erased: ErasureCounts,
  signal: AbortSignal,
): Promise<void> {
  const found = await numberListingRows(tables, kind, number, signal);
  const partitions = new Map<string, Map<string, EntityKey[]>>();
  for (const row of found) {
    const sids = partitions.get(row.partitionKey) ?? new Map<string, EntityKey[]>();
    sids.set(row.sid, [...(sids.get(row.sid) ?? []), row]);
    partitions.set(row.partitionKey, sids);
  }
  await Promise.all(
    [...partitions.values()].map(async (rowsBySid) => {
      const sids = [...rowsBySid.keys()];
      for (let start = 0; start < sids.length; start += SIDS_PER_ROUND) {
        const round = sids.slice(start, start + SIDS_PER_ROUND);
        const plans = await inParallel(round, SIDS_IN_PARALLEL, (sid) =>
          sidDeletion(settings, tables.records, kind, sid, rowsBySid.get(sid) ?? [], erased, signal),
        );
        await deleteInBatches(tables.records, plans.flat(), signal);
      }
    }),
  );
}

/** `work` over every item, at most `limit` at a time, the results in the items' order. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * What to delete for one SID, in order: its events and state, the listing rows its record has
 * elsewhere, then the number's own listing rows and the record itself. Its recordings at Twilio
 * are deleted before any of it, since the record is how they are found.
 */
async function sidDeletion(
  settings: Settings,
  table: TableClient,
  kind: Kind,
  sid: string,
  numberRows: EntityKey[],
  erased: ErasureCounts,
  signal: AbortSignal,
): Promise<EntityKey[]> {
  const entities = await readSidEntities(table, kind, sid, signal);
  const recordEntity = entities.find((entity) => sidRowKind(sid, entity.rowKey) === 'record');
  const record = recordEntity && recordFromEntity(recordEntity);
  const recordings = new Set<string>();
  for (const text of [...(record?.recordings ?? []), ...entities.map((entity) => String(entity.recordingSid ?? ''))]) {
    const recordingSid = RECORDING_SID.exec(text)?.[0];
    if (recordingSid) recordings.add(recordingSid);
  }
  for (const recordingSid of recordings) if (await deleteRecording(settings, recordingSid)) erased.recordings += 1;

  const others = entities.filter((entity) => entity !== recordEntity);
  const numberRowKeys = new Set(numberRows.map((row) => row.rowKey));
  const otherListingRows = record ? listingRows(record).filter((row) => !numberRowKeys.has(row.rowKey)) : [];
  for (const entity of others) erased[sidRowKind(sid, entity.rowKey) === 'event' ? 'events' : 'flowState'] += 1;
  erased.listingRows += otherListingRows.length + numberRows.length;
  if (record) erased[kind === 'call' ? 'calls' : 'messages'] += 1;
  return [...others, ...otherListingRows, ...numberRows, ...(recordEntity ? [recordEntity] : [])].map(
    ({ partitionKey, rowKey }) => ({ partitionKey, rowKey }),
  );
}

/**
 * Idempotency keys whose stored answer names the number (the call or message it placed). Keys
 * are hashed, so the table is read through; it holds at most a day's keys (retention.ts).
 */
async function eraseIdempotencyKeys(table: TableClient, number: string, signal: AbortSignal): Promise<number> {
  const named: EntityKey[] = [];
  const quoted = JSON.stringify(number);
  for await (const key of table.listEntities<{ body?: string }>({
    queryOptions: { select: ['PartitionKey', 'RowKey', 'body'] },
    abortSignal: signal,
  }))
    if (key.body?.includes(quoted)) named.push({ partitionKey: key.partitionKey!, rowKey: key.rowKey! });
  return deleteInBatches(table, named, signal);
}
