/**
 * Newest-first listings. TwilioRecordIndex has eight partitions per kind (`call|0`…`call|7`,
 * `message|0`…), a record's shard chosen from its SID; in each, every listing filter (`all`,
 * `inbound`, `n|<number>`, `n|<number>|inbound`…) is a RowKey prefix, followed by the
 * inverted creation time and the SID. A listing reads the same key range of the eight
 * partitions at once and merges them, which is newest first; no request scans a table. All of
 * a record's rows share a partition, so they are written in one transaction: one round trip,
 * and a record is in every listing it belongs to or in none. Eight shards, not one, so that no
 * partition takes every new record (see docs/capacity.md).
 */
import type { TransactionAction } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import * as z from 'zod';
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { phoneNumber } from '../http/schemas';
import { readRecord, RECORD_ROW, view } from './entities';
import { DIRECTIONS, type CallOrMessage, type Direction, type StoredRecord } from './model';
import type { Kind } from './status';
import { withTables, type Tables } from './tables';

const SHARDS = [0, 1, 2, 3, 4, 5, 6, 7];
const indexPartition = (kind: Kind, shard: number) => `${kind}|${shard}`;
/** A SID's shard: the same for every delivery about it, and spread evenly since SIDs end in random hex. */
const shardOf = (sid: string) => [...sid].reduce((sum, char) => sum + char.charCodeAt(0), 0) % SHARDS.length;

/** A RowKey character after every digit: a filter's rows end before it, a longer filter's rows start after it. */
const AFTER_POSITIONS = ':';

/** GET /api/calls and /api/messages. `code` is the function key Azure reads from the query string. */
export const listQuery = z.strictObject({
  number: phoneNumber.optional(),
  direction: z.enum(DIRECTIONS, { error: 'must be inbound or outbound' }).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().min(1, 'must be a whole number from 1 to 100').max(100, 'must be a whole number from 1 to 100'))
    .default(50),
  cursor: z
    .string()
    .transform((value, ctx) => {
      const position = decodeCursor(value);
      if (!position) ctx.addIssue({ code: 'custom', message: 'is not a cursor from nextCursor' });
      return position ?? z.NEVER;
    })
    .optional(),
  code: z.string().optional(),
});
export type ListQuery = z.output<typeof listQuery>;

/** Records newest first, one page at a time; `nextCursor` is null on the last page. */
export async function listRecords(settings: Settings, kind: Kind, query: ListQuery): Promise<{ items: CallOrMessage[]; nextCursor: string | null }> {
  const signal = storageDeadline();
  return withTables(settings, signal, async (tables) => {
    const { odata } = await import('@azure/data-tables');
    const prefix = `${listingFilter(query.number, query.direction)}|`;
    const from = `${prefix}${query.cursor ?? ''}`;
    const shards = await Promise.all(
      SHARDS.map((shard) =>
        firstRows(tables, odata`PartitionKey eq ${indexPartition(kind, shard)} and RowKey gt ${from} and RowKey lt ${prefix + AFTER_POSITIONS}`, query.limit + 1, signal),
      ),
    );
    const rows = shards
      .flat()
      .map((row) => ({ position: row.rowKey.slice(prefix.length), sid: row.sid }))
      .sort((a, b) => (a.position < b.position ? -1 : 1))
      .slice(0, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const found = await Promise.all(page.map((row) => readRecord(tables.records, row.sid, signal)));
    return {
      // Rows are written before their record (store.ts): a row whose record is not stored yet,
      // not yet indexed, or was created at another time than the row says is not listed.
      items: found.flatMap((entry, at) => (entry?.record.indexed && indexPosition(entry.record) === page[at]!.position ? [view(entry.record)] : [])),
      nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.position) : null,
    };
  });
}

/** The first `count` rows of one partition that match `filter`, in key order. */
async function firstRows(tables: Tables, filter: string, count: number, signal: AbortSignal): Promise<Array<{ rowKey: string; sid: string }>> {
  const rows: Array<{ rowKey: string; sid: string }> = [];
  const pages = tables.index.listEntities<{ sid: string }>({ queryOptions: { filter, select: ['RowKey', 'sid'] }, abortSignal: signal }).byPage({ maxPageSize: count });
  for await (const page of pages) {
    for (const row of page) rows.push({ rowKey: row.rowKey!, sid: row.sid });
    if (rows.length >= count) break;
  }
  return rows.slice(0, count);
}

/** Lists the record, then marks it indexed: only then is it visible (a record is listed wherever it can be read). */
export async function addToIndex(tables: Tables, record: StoredRecord, signal: AbortSignal): Promise<void> {
  await writeIndexRows(tables, record, signal);
  await tables.records.updateEntity({ partitionKey: record.sid, rowKey: RECORD_ROW, indexed: true }, 'Merge', { abortSignal: signal });
}

/** The record's rows in every listing it belongs to, in one transaction; repeating it changes nothing. */
export async function writeIndexRows(tables: Tables, record: StoredRecord, signal: AbortSignal): Promise<void> {
  const upserts = indexRows(record).map((row): TransactionAction => ['upsert', row, 'Replace']);
  await tables.index.submitTransaction(upserts, { abortSignal: signal });
}

/** Takes back rows written for a record that turned out to exist already, with another creation time. */
export async function removeIndexRows(tables: Tables, record: StoredRecord, signal: AbortSignal): Promise<void> {
  const deletes = indexRows(record).map(({ partitionKey, rowKey }): TransactionAction => ['delete', { partitionKey, rowKey }]);
  await tables.index.submitTransaction(deletes, { abortSignal: signal });
}

/** Where the record stands in every listing, newest first in key order: the time counted down from the latest a Date can hold, then the SID. */
function indexPosition(record: StoredRecord): string {
  const inverted = 8_640_000_000_000_000 - Date.parse(record.createdAt);
  return `${String(inverted).padStart(16, '0')}|${record.sid}`;
}

/** A cursor is the position of the last record of a page, opaque to callers. */
const encodeCursor = (position: string) => Buffer.from(position).toString('base64url');

/** The position a cursor stands for, or undefined when it is not one of ours. */
function decodeCursor(cursor: string): string | undefined {
  const position = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^\d{16}\|[A-Z]{2}[0-9a-f]{32}$/.test(position) ? position : undefined;
}

function listingFilter(number?: string, direction?: Direction): string {
  const base = number ? `n|${encodeURIComponent(number)}` : undefined;
  return [base, direction].filter(Boolean).join('|') || 'all';
}

/** Listings filter by E.164 number only, so only E.164 numbers are indexed (not `client:alice` or `anonymous`). */
const E164 = /^\+[1-9]\d{1,14}$/;

function indexRows(record: StoredRecord): Array<{ partitionKey: string; rowKey: string; sid: string }> {
  const numbers = [...new Set([record.from, record.to])].filter((n): n is string => n !== undefined && E164.test(n));
  const position = indexPosition(record);
  const partitionKey = indexPartition(record.kind, shardOf(record.sid));
  return [undefined, ...numbers].flatMap((number) =>
    [listingFilter(number), listingFilter(number, record.direction)].map((filter) => ({ partitionKey, rowKey: `${filter}|${position}`, sid: record.sid })),
  );
}
