/**
 * A campaign's counts by state, kept as it runs so that reading its progress is a few point
 * reads whatever its size. They live in COUNT_SHARDS rows of the campaign's partition
 * (`count|0` … `count|7`), each holding a share: every change of a recipient's state is one
 * transaction of two operations, the recipient's row (with its ETag) and one shard picked at
 * random (with its ETag). A transaction is all or nothing, so a count never drifts from the
 * rows, whatever the number of workers, their retries or crashes: of two workers that move the
 * same recipient, one transaction wins and the other finds the row moved and does nothing.
 * Shards keep concurrent writers of one campaign apart (a row takes a few writes a second each).
 */
import type { TableClient, TransactionAction } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import type { Settings } from '../config/settings';
import { storageStatus } from '../records/tables';
import type { Recipient } from './schema';
import {
  partitionOf,
  readRecipient,
  RECIPIENT_STATES,
  recipientEntity,
  withCampaigns,
  type RecipientRow,
  type RecipientState,
} from './store';

export const COUNT_SHARDS = 8;
const shardRow = (shard: number) => `count|${shard}`;
/** Recipients written in one transaction with their shard (a transaction holds 100 operations). */
const ROWS_PER_TRANSACTION = 99;
const MAX_TRIES = 30;

/** The counts of a campaign (or of one shard): recipients per state, and the texts or calls Twilio accepted. */
export interface Counts {
  byState: Record<RecipientState, number>;
  /** Recipients Twilio accepted (sent, then perhaps delivered or failed), with the first and last send time. */
  sends: number;
  firstSentAt?: string | undefined;
  lastSentAt?: string | undefined;
}

type ShardEntity = Record<RecipientState, number> & {
  partitionKey: string;
  rowKey: string;
  sends: number;
  firstSentAt?: string;
  lastSentAt?: string;
};

const zero = (): Counts => ({
  byState: Object.fromEntries(RECIPIENT_STATES.map((state) => [state, 0])) as Record<RecipientState, number>,
  sends: 0,
});

const countsOf = (entity: Partial<ShardEntity> | undefined): Counts => {
  const counts = zero();
  for (const state of RECIPIENT_STATES) counts.byState[state] = Number(entity?.[state] ?? 0);
  return {
    ...counts,
    sends: Number(entity?.sends ?? 0),
    firstSentAt: entity?.firstSentAt,
    lastSentAt: entity?.lastSentAt,
  };
};

/** Sums shards (or adds a change to one): times are the earliest first and the latest last send. */
export function sum(a: Counts, b: Counts): Counts {
  const byState = { ...a.byState };
  for (const state of RECIPIENT_STATES) byState[state] += b.byState[state];
  const pick = (x: string | undefined, y: string | undefined, later: boolean) =>
    x === undefined ? y : y === undefined ? x : x > y === later ? x : y;
  return {
    byState,
    sends: a.sends + b.sends,
    firstSentAt: pick(a.firstSentAt, b.firstSentAt, false),
    lastSentAt: pick(a.lastSentAt, b.lastSentAt, true),
  };
}

/** The campaign's counts: its shards, read in one query of COUNT_SHARDS rows. */
export async function readCounts(settings: Settings, id: string): Promise<Counts> {
  return withCampaigns(settings, async (table, signal) => {
    const { odata } = await import('@azure/data-tables');
    let counts = zero();
    const filter = odata`PartitionKey eq ${partitionOf(id)} and RowKey ge ${'count|'} and RowKey lt ${'count}'}`;
    for await (const entity of table.listEntities<ShardEntity>({ queryOptions: { filter }, abortSignal: signal }))
      counts = sum(counts, countsOf(entity));
    return counts;
  });
}

/**
 * One transaction: `rows` (each with its ETag to update, or none to create) and a random shard
 * changed by `change`. Whether it landed; false when a row was changed or made since it was read
 * (412 or 409). A shard changed since it was read is read again and the transaction tried again.
 */
async function commit(
  settings: Settings,
  id: string,
  rows: Array<{ row: RecipientRow; etag?: string | undefined }>,
  change: Counts,
): Promise<boolean> {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    // Each try within its own storage deadline: many writers of one campaign can take a few.
    const landed = await withCampaigns(settings, (table, signal) => tryCommit(table, signal, id, rows, change));
    if (landed !== 'again') return landed;
  }
  throw new Error(`Campaign ${id}: the counts could not be written, ${MAX_TRIES} tries met other writers`);
}

async function tryCommit(
  table: TableClient,
  signal: AbortSignal,
  id: string,
  rows: Array<{ row: RecipientRow; etag?: string | undefined }>,
  change: Counts,
): Promise<boolean | 'again'> {
  const rowKey = shardRow(Math.floor(Math.random() * COUNT_SHARDS));
  const shard = await readShard(table, id, rowKey, signal);
  const next = sum(countsOf(shard), change);
  const entity: ShardEntity = {
    ...next.byState,
    partitionKey: partitionOf(id),
    rowKey,
    sends: next.sends,
    ...(next.firstSentAt ? { firstSentAt: next.firstSentAt } : {}),
    ...(next.lastSentAt ? { lastSentAt: next.lastSentAt } : {}),
  };
  const actions: TransactionAction[] = rows.map(({ row, etag }) =>
    etag ? ['update', recipientEntity(id, row), 'Replace', { etag }] : ['create', recipientEntity(id, row)],
  );
  actions.push(shard ? ['update', entity, 'Replace', { etag: shard.etag }] : ['create', entity]);
  try {
    await table.submitTransaction(actions, { abortSignal: signal });
    return true;
  } catch (error) {
    const status = storageStatus(error);
    if (status !== 412 && status !== 409) throw error;
    // Which operation failed: the shard's (another writer took it) is tried again; a row's is the caller's.
    return (await rowsUnchanged(table, id, rows, signal)) ? 'again' : false;
  }
}

async function readShard(table: TableClient, id: string, rowKey: string, signal: AbortSignal) {
  try {
    return await table.getEntity<ShardEntity>(partitionOf(id), rowKey, { abortSignal: signal });
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Whether each row is as the transaction expected: its ETag unchanged, or still absent for one to create. */
async function rowsUnchanged(
  table: TableClient,
  id: string,
  rows: Array<{ row: RecipientRow; etag?: string | undefined }>,
  signal: AbortSignal,
): Promise<boolean> {
  for (const { row, etag } of rows) {
    const entity = recipientEntity(id, row);
    try {
      const current = await table.getEntity(entity.partitionKey, entity.rowKey, { abortSignal: signal });
      if (current.etag !== etag) return false;
    } catch (error) {
      if (storageStatus(error) !== 404) throw error;
      if (etag) return false;
    }
  }
  return true;
}

/**
 * New recipients, numbered from `first`, written with the `waiting` count in transactions of
 * 99 rows and a shard. A transaction that finds its rows already there (a retry of one whose
 * answer was lost) is not counted again.
 */
export async function addRecipients(settings: Settings, id: string, first: number, list: Recipient[]) {
  const updatedAt = new Date().toISOString();
  const rows = list.map((one, n): RecipientRow => ({ ...one, index: first + n, state: 'waiting', updatedAt }));
  for (let start = 0; start < rows.length; start += ROWS_PER_TRANSACTION) {
    const chunk = rows.slice(start, start + ROWS_PER_TRANSACTION);
    const change = zero();
    change.byState.waiting = chunk.length;
    await commit(
      settings,
      id,
      chunk.map((row) => ({ row })),
      change,
    );
  }
}

/**
 * Moves a recipient to a new state (with what it learned: its SID, Twilio's code), counted,
 * if it is still in one of `from`; re-read and tried again when another writer changed it
 * meanwhile. The row as it is now, or undefined when it is no longer in one of `from`.
 */
export async function moveRecipient(
  settings: Settings,
  id: string,
  row: RecipientRow & { etag: string },
  changes: Partial<RecipientRow> & { state: RecipientState },
  from: readonly RecipientState[],
): Promise<RecipientRow | undefined> {
  let current = row;
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    if (!from.includes(current.state)) return undefined;
    const { etag, ...fields } = current;
    const next: RecipientRow = { ...fields, ...changes, updatedAt: new Date().toISOString() };
    if (next.state === current.state && changes.sid === undefined) return next;
    const change = zero();
    change.byState[current.state] -= 1;
    change.byState[next.state] += 1;
    if (next.sentAt && !current.sentAt)
      Object.assign(change, { sends: 1, firstSentAt: next.sentAt, lastSentAt: next.sentAt });
    const landed = await commit(settings, id, [{ row: next, etag }], change);
    if (landed) return next;
    current = await readRecipient(settings, id, row.index);
  }
  throw new Error(`Campaign ${id} recipient ${row.index}: ${MAX_TRIES} tries met other writers`);
}
