/**
 * The line's opt-out list: who texted STOP (or another opt-out keyword) to which of our numbers,
 * and who took it back with START. Twilio's own guidance is to keep this list on your side;
 * every text the app sends is checked against it (lib/outbound/optOut.ts).
 *
 * Entities in TwilioRecords, one partition (`optout`) as opt-outs are few and rarely written:
 * RowKey `<recipient>|<our number>` (both key-encoded), so one number's rows for every sender
 * are one key range (scope `line`) and one pair is a point read (scope `sender`). A row is
 * kept after START, with the keyword and time of each change, so the list says who opted
 * back in and when; a refused send leaves its time and what it was on the row.
 */
import { pageLimit } from './listing';
import * as z from 'zod';
import { DEADLINES, storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { keyPart, storageStatus, withTables, type Tables } from './tables';

export const OPT_OUT_PARTITION = 'optout';

export interface OptOutEntry {
  /** The number that opted out: the party we would text. */
  number: string;
  /** Our number it texted the keyword to. */
  line: string;
  status: 'opted-out' | 'opted-in';
  keyword: string;
  /** When the keyword arrived. */
  at: string;
  /** The incoming message that carried it. */
  messageSid: string;
  /** The latest send refused because of this row, and what it was. */
  lastRefusedAt?: string;
  lastRefused?: string;
}

const entrySchema = z.object({
  number: z.string(),
  line: z.string(),
  status: z.enum(['opted-out', 'opted-in']),
  keyword: z.string(),
  at: z.string(),
  messageSid: z.string(),
  lastRefusedAt: z.string().optional(),
  lastRefused: z.string().optional(),
});

const rowKey = (number: string, line: string) => `${numberPrefix(number)}${keyPart(line)}`;
const numberPrefix = (number: string) => `${keyPart(number)}|`;
/** After every character keyPart writes (`%`, digits, letters, `~`): the end of one number's key range. */
const AFTER = '}';

const entryOf = (entity: Record<string, unknown>): OptOutEntry => entrySchema.parse(entity);

/** How many of a row's latest keyword messages it remembers, so a redelivered one changes nothing. */
const REMEMBERED_MESSAGES = 20;

/**
 * Keeps an opt-out or opt-in keyword from `number` to our `line`. A message delivered again
 * changes nothing, even after later keywords (a STOP redelivered after a START would otherwise
 * undo the START): the row keeps the SIDs of its latest REMEMBERED_MESSAGES keyword messages.
 */
export async function saveOptOut(
  settings: Settings,
  change: Pick<OptOutEntry, 'number' | 'line' | 'status' | 'keyword' | 'messageSid'>,
  signal: AbortSignal = storageDeadline(),
): Promise<void> {
  await withTables(settings, signal, async ({ records }) => {
    const keys = { partitionKey: OPT_OUT_PARTITION, rowKey: rowKey(change.number, change.line) };
    const earlier = await readRaw(records, keys.rowKey, signal);
    // `messageSids`: the keyword messages before `messageSid`, newest first, space-separated.
    const remembered = [earlier?.messageSid, ...String(earlier?.messageSids ?? '').split(' ')].filter(Boolean);
    if (remembered.includes(change.messageSid)) return;
    const messageSids = [...new Set(remembered)].slice(0, REMEMBERED_MESSAGES).join(' ');
    await records.upsertEntity({ ...keys, ...change, messageSids, at: new Date().toISOString() }, 'Replace', {
      abortSignal: signal,
    });
    seen.byNumber.delete(change.number);
  });
}

async function readRow(records: Tables['records'], key: string, signal: AbortSignal) {
  const entity = await readRaw(records, key, signal);
  return entity && entryOf(entity);
}

async function readRaw(records: Tables['records'], key: string, signal: AbortSignal) {
  try {
    return await records.getEntity<Record<string, unknown>>(OPT_OUT_PARTITION, key, { abortSignal: signal });
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}

/** What a read of the rows that stop a text has to work with. */
interface OptOutReadInput {
  settings: Settings;
  records: Tables['records'];
  number: string;
  line: string;
  signal: AbortSignal;
}

/** A read of the rows that stop a text from `line` to `number`, under `signal` (by default storage's deadline). */
function optOutRead(read: (input: OptOutReadInput) => Promise<OptOutEntry[]>) {
  return (
    settings: Settings,
    number: string,
    line: string,
    signal: AbortSignal = storageDeadline(),
  ): Promise<OptOutEntry[]> =>
    withTables(settings, signal, ({ records }) => read({ settings, records, number, line, signal }));
}

/**
 * The rows that stop a text from `line` to `number`, under OPT_OUT_SCOPE: with `line`, an
 * opt-out sent to any of our numbers; with `sender`, only one sent to `line`.
 */
export const optOutsOf = optOutRead(async ({ settings, records, number, line, signal }) => {
  if (settings.OPT_OUT_SCOPE === 'sender') {
    const row = await readRow(records, rowKey(number, line), signal);
    return row?.status === 'opted-out' ? [row] : [];
  }
  return rowsOfNumber(records, number, signal, 'opted-out');
});

/**
 * The rows that stop a reply from `line` to `number`, as optOutsOf answers, from what this
 * instance has read: for the SMS webhook, whose reply would otherwise cost a second storage
 * request on every text. A change saved here (saveOptOut) is seen at once. One saved on another
 * instance is seen within DEADLINES.optOutReadFreshMs: an answer older than that first asks
 * storage for the opt-out rows written since the previous ask (by their Timestamp, with
 * CHANGES_OVERLAP_MS for clocks and writes in flight) and forgets those numbers. Sends
 * (lib/outbound/optOut.ts) read storage every time.
 */
export const replyOptOutsOf = optOutRead(async ({ settings, records, number, line, signal }) => {
  const now = Date.now();
  if (seen.storage !== records.url) {
    seen.byNumber.clear();
    seen.storage = records.url;
    seen.checkedAt = now;
  }
  if (now - seen.checkedAt >= DEADLINES.optOutReadFreshMs) await forgetChanged(records, now, signal);
  let known = seen.byNumber.get(number);
  if (!known || now - known.readAt >= SEEN_MAX_AGE_MS) {
    known = { rows: await rowsOfNumber(records, number, signal), readAt: now };
    if (seen.byNumber.size >= SEEN_MAX_NUMBERS) seen.byNumber.clear();
    seen.byNumber.set(number, known);
  }
  const blocking = known.rows.filter((row) => row.status === 'opted-out');
  return settings.OPT_OUT_SCOPE === 'sender' ? blocking.filter((row) => row.line === line) : blocking;
});

const CHANGES_OVERLAP_MS = 60_000;
/** A row deleted by hand is not among the changes: an answer is read again after this anyway. */
const SEEN_MAX_AGE_MS = 600_000;
const SEEN_MAX_NUMBERS = 10_000;
/** Every row of each number read, whatever its status; when storage was last asked for changes. */
const seen = { storage: '', checkedAt: 0, byNumber: new Map<string, { rows: OptOutEntry[]; readAt: number }>() };

async function forgetChanged(records: Tables['records'], now: number, signal: AbortSignal): Promise<void> {
  if (seen.byNumber.size) {
    const { odata } = await import('@azure/data-tables');
    const since = new Date(seen.checkedAt - CHANGES_OVERLAP_MS);
    const changed = records.listEntities<{ number?: unknown }>({
      queryOptions: {
        filter: odata`PartitionKey eq ${OPT_OUT_PARTITION} and Timestamp ge ${since}`,
        select: ['number'],
      },
      abortSignal: signal,
    });
    for await (const row of changed) if (typeof row.number === 'string') seen.byNumber.delete(row.number);
  }
  seen.checkedAt = now;
}

/** Every row of `number`, for any of our numbers; with `status`, only the rows in it. */
async function rowsOfNumber(
  records: Tables['records'],
  number: string,
  signal: AbortSignal,
  status?: OptOutEntry['status'],
): Promise<OptOutEntry[]> {
  const { odata } = await import('@azure/data-tables');
  const prefix = numberPrefix(number);
  const rows: OptOutEntry[] = [];
  const conditions = [
    odata`PartitionKey eq ${OPT_OUT_PARTITION} and RowKey gt ${prefix} and RowKey lt ${prefix + AFTER}`,
    ...(status ? [odata`status eq ${status}`] : []),
  ];
  const entities = records.listEntities({
    queryOptions: { filter: conditions.join(' and ') },
    abortSignal: signal,
  });
  for await (const row of entities) rows.push(entryOf(row));
  return rows;
}

/** Notes on each row that stopped it that a send was refused, and what it was. Best effort: the refusal stands anyway. */
export async function noteRefusal(settings: Settings, rows: OptOutEntry[], what: string): Promise<void> {
  const signal = storageDeadline();
  await withTables(settings, signal, ({ records }) =>
    Promise.all(
      rows.map((row) =>
        records.updateEntity(
          {
            partitionKey: OPT_OUT_PARTITION,
            rowKey: rowKey(row.number, row.line),
            lastRefusedAt: new Date().toISOString(),
            lastRefused: what.slice(0, 500),
          },
          'Merge',
          { abortSignal: signal },
        ),
      ),
    ),
  );
}

/** GET /api/opt-outs: `?number`, `?status` (opted-out by default, opted-in, all), `?limit`, `?cursor`. */
export const optOutQuery = z.strictObject({
  number: z.string().min(1).optional(),
  status: z
    .enum(['opted-out', 'opted-in', 'all'], { error: 'must be opted-out, opted-in or all' })
    .default('opted-out'),
  limit: pageLimit,
  cursor: z
    .string()
    .transform((value, ctx) => {
      const key = Buffer.from(value, 'base64url').toString('utf8');
      if (!/^[^|]+\|[^|]+$/.test(key)) ctx.addIssue({ code: 'custom', message: 'is not a cursor from nextCursor' });
      return key;
    })
    .optional(),
  code: z.string().optional(),
});
export type OptOutQuery = z.output<typeof optOutQuery>;

/** The list in key order (by number, then our number), a page at a time; `nextCursor` is null on the last page. */
export async function listOptOuts(
  settings: Settings,
  query: OptOutQuery,
): Promise<{ items: OptOutEntry[]; nextCursor: string | null }> {
  const signal = storageDeadline();
  return withTables(settings, signal, async ({ records }) => {
    const { odata } = await import('@azure/data-tables');
    const prefix = query.number ? numberPrefix(query.number) : '';
    const from = query.cursor && query.cursor >= prefix ? query.cursor : prefix;
    const conditions = [
      odata`PartitionKey eq ${OPT_OUT_PARTITION} and RowKey gt ${from}`,
      ...(prefix ? [odata`RowKey lt ${prefix + AFTER}`] : []),
      ...(query.status === 'all' ? [] : [odata`status eq ${query.status}`]),
    ];
    const rows: Array<{ key: string; entry: OptOutEntry }> = [];
    const pages = records
      .listEntities({ queryOptions: { filter: conditions.join(' and ') }, abortSignal: signal })
      .byPage({ maxPageSize: query.limit + 1 });
    for await (const page of pages) {
      for (const row of page) rows.push({ key: row.rowKey!, entry: entryOf(row) });
      if (rows.length > query.limit) break;
    }
    const items = rows.slice(0, query.limit);
    return {
      items: items.map((row) => row.entry),
      nextCursor: rows.length > query.limit ? Buffer.from(items[items.length - 1]!.key).toString('base64url') : null,
    };
  });
}
