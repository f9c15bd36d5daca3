/**
 * Newest-first listings. In each shard partition of TwilioRecords (entities.ts) every listing
 * filter (`all`, `inbound`, `n|<number>`, `n|<number>|inbound`…) is a RowKey prefix, followed by
 * the inverted creation time and the SID. A listing reads the same key range of a kind's eight
 * shards at once and merges them, which is newest first; no request scans a table. A record's
 * listing rows are written in the transaction that creates it (store.ts), so it is in every
 * listing it belongs to from the moment it can be read, and in none before.
 */
import * as z from 'zod';
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { phoneNumber } from '../twilio/ids';
import { partitionOf, readRecord, shardPartition, SHARDS } from './entities';
import { DIRECTIONS, type CallOrMessage, type Direction } from './model';
import type { Kind } from './status';
import { withTables, type Tables } from './tables';

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
    const shards = await Promise.all(
      SHARDS.map((shard) =>
        firstRows(
          tables,
          odata`PartitionKey eq ${shardPartition(kind, shard)} and RowKey gt ${from} and RowKey lt ${prefix + AFTER_POSITIONS}`,
          query.limit + 1,
          signal,
        ),
      ),
    );
    const rows = shards
      .flat()
      .map((row) => ({ position: row.rowKey.slice(prefix.length), sid: row.sid }))
      .sort((a, b) => (a.position < b.position ? -1 : 1))
      .slice(0, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const found = await Promise.all(page.map((row) => readRecord(tables.records, kind, row.sid, signal)));
    return {
      items: found.flatMap((entry) => (entry ? [entry.record] : [])),
      nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.position) : null,
    };
  });
}

/** The first `count` rows of one partition that match `filter`, in key order. */
async function firstRows(
  { records }: Tables,
  filter: string,
  count: number,
  signal: AbortSignal,
): Promise<Array<{ rowKey: string; sid: string }>> {
  const rows: Array<{ rowKey: string; sid: string }> = [];
  const pages = records
    .listEntities<{ sid: string }>({ queryOptions: { filter, select: ['RowKey', 'sid'] }, abortSignal: signal })
    .byPage({ maxPageSize: count });
  for await (const page of pages) {
    for (const row of page) rows.push({ rowKey: row.rowKey!, sid: row.sid });
    if (rows.length >= count) break;
  }
  return rows.slice(0, count);
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

/** The record's rows in every listing it belongs to, in the record's own partition (entities.ts). */
export function listingRows(record: CallOrMessage): Array<{ partitionKey: string; rowKey: string; sid: string }> {
  const partitionKey = partitionOf(record.kind, record.sid);
  const numbers = [...new Set([record.from, record.to])].filter((n): n is string => n !== undefined && E164.test(n));
  const position = indexPosition(record);
  return [undefined, ...numbers].flatMap((number) =>
    [listingFilter(number), listingFilter(number, record.direction)].map((filter) => ({
      partitionKey,
      rowKey: `${filter}|${position}`,
      sid: record.sid,
    })),
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
