/**
 * Newest-first listings. TwilioRecordIndex has one partition per listing filter (`call`,
 * `call|inbound`, `call|n|<number>`, `call|n|<number>|inbound`, and the same for `message`),
 * RowKey = inverted creation time + SID. A listing is one partition read in key order, which
 * is newest first; no request scans a table.
 */
import * as z from 'zod';
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { phoneNumber } from '../http/schemas';
import { readRecord, RECORD_ROW, view } from './entities';
import { DIRECTIONS, type CallOrMessage, type Direction, type StoredRecord } from './model';
import type { Kind } from './status';
import { withTables, type Tables } from './tables';

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
      const rowKey = decodeCursor(value);
      if (!rowKey) ctx.addIssue({ code: 'custom', message: 'is not a cursor from nextCursor' });
      return rowKey ?? z.NEVER;
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
    const partition = listingPartition(kind, query.number, query.direction);
    const filter = query.cursor
      ? odata`PartitionKey eq ${partition} and RowKey gt ${query.cursor}`
      : odata`PartitionKey eq ${partition}`;
    const rows: Array<{ rowKey: string; sid: string }> = [];
    const pages = tables.index
      .listEntities<{ sid: string }>({ queryOptions: { filter, select: ['RowKey', 'sid'] }, abortSignal: signal })
      .byPage({ maxPageSize: query.limit + 1 });
    for await (const page of pages) {
      for (const row of page) rows.push({ rowKey: row.rowKey!, sid: row.sid });
      if (rows.length > query.limit) break;
    }
    const page = rows.slice(0, query.limit);
    const found = await Promise.all(page.map((row) => readRecord(tables.records, row.sid, signal)));
    return {
      items: found.flatMap((entry) => (entry?.record.indexed ? [view(entry.record)] : [])),
      nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.rowKey) : null,
    };
  });
}

/** Lists the record, then marks it indexed: only then is it visible (a record is listed wherever it can be read). */
export async function addToIndex(tables: Tables, record: StoredRecord, signal: AbortSignal): Promise<void> {
  const rowKey = indexRowKey(record);
  await Promise.all(
    indexPartitions(record).map((partitionKey) =>
      tables.index.upsertEntity({ partitionKey, rowKey, sid: record.sid }, 'Replace', { abortSignal: signal }),
    ),
  );
  await tables.records.updateEntity({ partitionKey: record.sid, rowKey: RECORD_ROW, indexed: true }, 'Merge', { abortSignal: signal });
}

/** Newest first in key order: the time counted down from the latest a Date can hold. */
function indexRowKey(record: StoredRecord): string {
  const inverted = 8_640_000_000_000_000 - Date.parse(record.createdAt);
  return `${String(inverted).padStart(16, '0')}|${record.sid}`;
}

/** A cursor is the last index row key of a page, opaque to callers. */
const encodeCursor = (rowKey: string) => Buffer.from(rowKey).toString('base64url');

/** The index row key a cursor stands for, or undefined when it is not one of ours. */
function decodeCursor(cursor: string): string | undefined {
  const rowKey = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^\d{16}\|[A-Z]{2}[0-9a-f]{32}$/.test(rowKey) ? rowKey : undefined;
}

function listingPartition(kind: Kind, number?: string, direction?: Direction): string {
  const base = number ? `${kind}|n|${encodeURIComponent(number)}` : kind;
  return direction ? `${base}|${direction}` : base;
}

/** Listings filter by E.164 number only, so only E.164 numbers are indexed (not `client:alice` or `anonymous`). */
const E164 = /^\+[1-9]\d{1,14}$/;

function indexPartitions(record: StoredRecord): string[] {
  const numbers = [...new Set([record.from, record.to])].filter((n): n is string => n !== undefined && E164.test(n));
  return [undefined, ...numbers].flatMap((number) => [
    listingPartition(record.kind, number),
    listingPartition(record.kind, number, record.direction),
  ]);
}
