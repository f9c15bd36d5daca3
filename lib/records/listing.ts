/**
 * Newest-first listings. In each shard partition of TwilioRecords (entities.ts) every listing
 * filter (`all`, `inbound`, `n|<number>`, `n|<number>|inbound`…) is a RowKey prefix, followed by
 * the inverted creation time and the SID. A listing reads the same key range of a kind's eight
 * shards at once and merges them, which is newest first; no request scans a table. A listing
 * row is a copy of its record, so a page is those eight reads and nothing more. A record's
 * listing rows are written in the transaction that creates it and in every one that changes it
 * (store.ts), so it is in every listing it belongs to from the moment it can be read, in none
 * before, and a listing shows what GET /api/calls/{sid} shows.
 */
import * as z from 'zod';
// Every check without a message of its own says what was expected (not zod's "Invalid input").
import '../config/zodMessages';
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { phoneNumber } from '../twilio/ids';
import { listingEntity, readRecord, recordEntity, recordFromListingRow, shardPartition, SHARDS } from './entities';
import { DIRECTIONS, type CallOrMessage, type Direction } from './model';
import type { Kind } from './status';
import { withTables, type Tables } from './tables';

/** A RowKey character after every digit: a filter's rows end before it, a longer filter's rows start after it. */
const AFTER_POSITIONS = ':';

/** `?limit=` of every paged listing: 1 to 100, 50 by default. */
export const pageLimit = z
  .string()
  .regex(/^\d+$/, 'must be a whole number from 1 to 100')
  .transform(Number)
  .pipe(z.number().min(1, 'must be a whole number from 1 to 100').max(100, 'must be a whole number from 1 to 100'))
  .default(50);

/** GET /api/calls and /api/messages. `code` is the function key Azure reads from the query string. */
export const listQuery = z.strictObject({
  number: phoneNumber.optional(),
  direction: z.enum(DIRECTIONS, { error: 'must be inbound or outbound' }).optional(),
  limit: pageLimit,
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
export async function listRecords(
  settings: Settings,
  kind: Kind,
  query: ListQuery,
): Promise<{ items: CallOrMessage[]; nextCursor: string | null }> {
  const signal = storageDeadline();
  return withTables(settings, signal, async (tables) => {
    const { odata } = await import('@azure/data-tables');
    const prefix = `${listingFilter(query.number, query.direction)}|`;
    const from = `${prefix}${query.cursor ?? ''}`;
    const shards = SHARDS.map((shard) =>
      shardRows(
        tables,
        odata`PartitionKey eq ${shardPartition(kind, shard)} and RowKey gt ${from} and RowKey lt ${prefix + AFTER_POSITIONS}`,
        shardPageSize(query.limit),
        signal,
      ),
    );
    const rows = await newestRows(shards, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const items = await Promise.all(
      page.map(async (row) => {
        const record = recordFromListingRow(row);
        if (record) return record;
        return (await readRecord(tables.records, kind, String(row.sid), signal))?.record;
      }),
    );
    return {
      items: items.filter((item) => item !== undefined),
      nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.rowKey.slice(prefix.length)) : null,
    };
  });
}

export type Row = Record<string, unknown> & { rowKey: string };

/**
 * Rows a shard is asked for at a time: a page's rows spread over the shards by SID, so each
 * shard holds about an eighth of them; twice that and two more rarely needs a second read,
 * while asking each shard for a whole page would read eight times the rows a page shows
 * (every row a copy of its record).
 */
const shardPageSize = (limit: number) => Math.min(limit + 1, Math.ceil((2 * (limit + 1)) / SHARDS.length) + 2);

export interface ShardRows {
  /** Rows read and not yet taken, in key order. */
  waiting: Row[];
  /** Reads the next page unless rows are waiting or the shard has no more. */
  fill(): Promise<void>;
}

/** One shard's rows that match `filter`, in key order, read a page at a time as the merge takes them. */
function shardRows({ records }: Tables, filter: string, pageSize: number, signal: AbortSignal): ShardRows {
  const pages = records
    .listEntities<Record<string, unknown>>({ queryOptions: { filter }, abortSignal: signal })
    .byPage({ maxPageSize: pageSize });
  const waiting: Row[] = [];
  let ended = false;
  return {
    waiting,
    async fill() {
      while (!waiting.length && !ended) {
        const page = await pages.next();
        if (page.done) ended = true;
        else waiting.push(...page.value.map((row) => ({ ...row, rowKey: row.rowKey! })));
      }
    },
  };
}

/** The first `count` rows of all shards together, in key order (newest first): a merge that reads a shard only when it runs out. */
export async function newestRows(shards: ShardRows[], count: number): Promise<Row[]> {
  const rows: Row[] = [];
  while (rows.length < count) {
    await Promise.all(shards.map((shard) => shard.fill()));
    let next: ShardRows | undefined;
    for (const shard of shards)
      if (shard.waiting.length && (!next || shard.waiting[0]!.rowKey < next.waiting[0]!.rowKey)) next = shard;
    if (!next) break;
    rows.push(next.waiting.shift()!);
  }
  return rows;
}

/** Where the record stands in every listing, newest first in key order: the time counted down from the latest a Date can hold, then the SID. */
function indexPosition(record: CallOrMessage): string {
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

/**
 * The record's rows in every listing it belongs to, in the record's own partition
 * (entities.ts), each a copy of the record. Written with every write of the record, in its
 * transaction (store.ts); the set only grows, since the keys are made of what a record never
 * changes once known (kind, direction, creation time, from and to).
 */
export function listingRows(
  record: CallOrMessage,
): Array<Record<string, unknown> & { partitionKey: string; rowKey: string }> {
  const numbers = [...new Set([record.from, record.to])].filter((n): n is string => n !== undefined && E164.test(n));
  const position = indexPosition(record);
  // Made storable once for the six rows, not once a row: this runs on every write of a record.
  const carried = recordEntity(record);
  return [undefined, ...numbers].flatMap((number) =>
    [listingFilter(number), listingFilter(number, record.direction)].map((filter) =>
      listingEntity(carried, record.sid, `${filter}|${position}`),
    ),
  );
}

/**
 * Every listing row of a number in a kind's shards, both directions: how the records that involve
 * the number are found (erasure.ts) without reading anything else.
 */
export async function numberListingRows(
  { records }: Tables,
  kind: Kind,
  number: string,
  signal: AbortSignal,
): Promise<Array<{ partitionKey: string; rowKey: string; sid: string }>> {
  const { odata } = await import('@azure/data-tables');
  const prefix = `${listingFilter(number)}|`;
  const shards = await Promise.all(
    SHARDS.map(async (shard) => {
      const partitionKey = shardPartition(kind, shard);
      const rows: Array<{ partitionKey: string; rowKey: string; sid: string }> = [];
      // `~` sorts after every character of a position and of a direction: the number's rows and no longer number's.
      const filter = odata`PartitionKey eq ${partitionKey} and RowKey gt ${prefix} and RowKey lt ${`${prefix}~`}`;
      const found = records.listEntities<{ sid: string }>({
        queryOptions: { filter, select: ['RowKey', 'sid'] },
        abortSignal: signal,
      });
      for await (const row of found) rows.push({ partitionKey, rowKey: row.rowKey!, sid: row.sid });
      return rows;
    }),
  );
  return shards.flat();
}
