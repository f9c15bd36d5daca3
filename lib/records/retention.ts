/**
 * What expires, expires: records older than RECORD_RETENTION_DAYS go with everything kept with
 * them (events, listing rows, a flow's state), and after RECORDING_RETENTION_DAYS (when set) a
 * call's recordings are deleted at Twilio, the record keeping when (`recordingsDeletedAt`).
 *
 * Run by the cleanup timer (lib/outbound/cleanup.ts) one partition at a time, one transaction of
 * at most 100 deletions at a time, so it never competes with webhooks for a partition's
 * throughput; a run stops at its time budget and the next run goes on where it stopped.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import type { Settings } from '../config/settings';
import { deleteRecording, RECORDING_SID } from '../twilio/client';
import { expireConversations, type ConversationRetentionCounts } from './conversations';
import { deleteInBatches, MAX_TRANSACTION, type EntityKey } from './deletion';
import { readSidEntities, recordFromEntity, shardPartition, SHARDS } from './entities';
import { listingRows } from './listing';
import type { Kind } from './status';
import { withTables } from './tables';

const DAY_MS = 24 * 60 * 60 * 1000;
const RECORD_ROW = /^sid\|[A-Z]{2}[0-9a-f]{32}$/;

export interface RetentionCounts {
  records: number;
  events: number;
  listingRows: number;
  flowState: number;
  recordingsDeleted: number;
  /** False when the run stopped at its budget: the next run goes on. */
  finished: boolean;
}

/** Deletes what is past retention as of `now`, until `deadline` (ms since the epoch). */
export async function expireRecords(
  settings: Settings,
  { now, deadline, signal }: { now: Date; deadline: number; signal: AbortSignal },
): Promise<RetentionCounts> {
  const counts: RetentionCounts = {
    records: 0,
    events: 0,
    listingRows: 0,
    flowState: 0,
    recordingsDeleted: 0,
    finished: true,
  };
  const recordCutoff = new Date(now.getTime() - settings.RECORD_RETENTION_DAYS * DAY_MS).toISOString();
  const recordingDays = settings.RECORDING_RETENTION_DAYS;
  await withTables(settings, signal, async ({ records }) => {
    for (const kind of ['call', 'message'] as const)
      for (const shard of SHARDS) {
        if (Date.now() > deadline) return void (counts.finished = false);
        const partition = shardPartition(kind, shard);
        await expirePartition(records, kind, partition, recordCutoff, counts, { deadline, signal });
        if (recordingDays !== undefined && kind === 'call') {
          const cutoff = new Date(now.getTime() - recordingDays * DAY_MS).toISOString();
          await expireRecordings(settings, records, partition, cutoff, now, counts, signal);
        }
      }
  });
  if (Date.now() > deadline) counts.finished = false;
  return counts;
}

/**
 * Text conversations whose last activity is older than RECORD_RETENTION_DAYS, with their rows
 * (see expireConversations). withTables runs this again if it created a missing table; it
 * cannot then have deleted anything, and every deletion can be repeated.
 */
export function expireConversationsPastRetention(
  settings: Settings,
  { now, deadline, signal }: { now: Date; deadline: number; signal: AbortSignal },
): Promise<ConversationRetentionCounts> {
  const cutoff = new Date(now.getTime() - settings.RECORD_RETENTION_DAYS * DAY_MS).toISOString();
  if (Date.now() > deadline) return Promise.resolve({ conversations: 0, conversationRows: 0, finished: false });
  return withTables(settings, signal, ({ conversations }) =>
    expireConversations(conversations, { now, cutoff, deadline, signal }),
  );
}

/** The partition's records created before `cutoff`, a transaction's worth at a time. */
async function expirePartition(
  table: TableClient,
  kind: Kind,
  partition: string,
  cutoff: string,
  counts: RetentionCounts,
  { deadline, signal }: { deadline: number; signal: AbortSignal },
): Promise<void> {
  const { odata } = await import('@azure/data-tables');
  const filter = odata`PartitionKey eq ${partition} and RowKey ge ${'sid|'} and RowKey lt ${'sid}'} and createdAt lt ${cutoff}`;
  const pages = table
    .listEntities<Record<string, unknown>>({ queryOptions: { filter }, abortSignal: signal })
    .byPage({ maxPageSize: MAX_TRANSACTION });
  for await (const page of pages) {
    const expired = page.filter((entity) => RECORD_ROW.test(entity.rowKey ?? ''));
    const plan: EntityKey[] = [];
    for (const entity of expired) {
      const record = recordFromEntity(entity);
      const rows = await readSidEntities(table, kind, record.sid, signal);
      const others = rows.filter((row) => row.rowKey !== entity.rowKey);
      for (const row of others) counts[row.rowKey.includes('|event|') ? 'events' : 'flowState'] += 1;
      const listed = listingRows(record);
      counts.listingRows += listed.length;
      counts.records += 1;
      // The record goes last: until it does, a later run finds the rest through it.
      plan.push(...others, ...listed, { partitionKey: partition, rowKey: entity.rowKey! });
    }
    await deleteInBatches(
      table,
      plan.map(({ partitionKey, rowKey }) => ({ partitionKey, rowKey })),
      signal,
    );
    if (Date.now() > deadline) return;
  }
}

/** Recordings of the partition's calls created before `cutoff`, deleted at Twilio; the record keeps when. */
async function expireRecordings(
  settings: Settings,
  table: TableClient,
  partition: string,
  cutoff: string,
  now: Date,
  counts: RetentionCounts,
  signal: AbortSignal,
): Promise<void> {
  const { odata } = await import('@azure/data-tables');
  // A comparison with a property an entity lacks is false: only records with recordings match.
  const filter = odata`PartitionKey eq ${partition} and RowKey ge ${'sid|'} and RowKey lt ${'sid}'} and createdAt lt ${cutoff} and recordings gt ${''}`;
  for await (const entity of table.listEntities<Record<string, unknown>>({
    queryOptions: { filter },
    abortSignal: signal,
  })) {
    if (!RECORD_ROW.test(entity.rowKey ?? '') || entity.recordingsDeletedAt !== undefined) continue;
    const record = recordFromEntity(entity);
    for (const url of record.recordings ?? []) {
      const sid = RECORDING_SID.exec(url)?.[0];
      if (sid && (await deleteRecording(settings, sid))) counts.recordingsDeleted += 1;
    }
    // The record and its listing rows (copies of it) say so together: one transaction, one partition.
    const deletedAt = { recordingsDeletedAt: now.toISOString() };
    await table.submitTransaction(
      [{ partitionKey: partition, rowKey: entity.rowKey! }, ...listingRows(record)].map(
        ({ partitionKey, rowKey }): TransactionAction => ['update', { partitionKey, rowKey, ...deletedAt }, 'Merge'],
      ),
      { abortSignal: signal },
    );
  }
}
