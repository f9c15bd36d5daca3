/**
 * The record of every call and message: one entity per SID with its current status, and one
 * event per distinct delivery (creation, webhook, status callback) as its history.
 *
 * Keys, and why:
 * - TwilioRecords: PartitionKey = SID, RowKey `record` for the record and `event|<key>` for each
 *   event. Reading a record with its history is one single-partition query, the record is a
 *   point read, and an event's key makes a redelivery a conflict instead of a second event.
 * - TwilioRecordIndex: one partition per listing filter (`call`, `call|inbound`,
 *   `call|n|<number>`, `call|n|<number>|inbound`, and the same for `message`), RowKey =
 *   inverted creation time + SID. A listing is one partition read in key order, which is
 *   newest first; no request scans the table.
 */
import type { TableClient, TableEntityResult } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import type { Settings } from '../config/settings';
import { advances, statusRank, type Kind } from './status';
import { storageDeadline } from '../config/deadlines';
import { getTables, storable, storageStatus, storeFailure, type Tables } from './tables';

export type Direction = 'inbound' | 'outbound';
export type EventSource = 'api' | 'voice-webhook' | 'sms-webhook' | 'status-callback';

/** One thing Twilio or our API told us about a call or message. */
export interface Observation {
  kind: Kind;
  sid: string;
  direction: Direction;
  from?: string | undefined;
  to?: string | undefined;
  status: string;
  sequence?: number | undefined;
  duration?: number | undefined;
  errorCode?: number | undefined;
  body?: string | undefined;
  mediaUrls?: string[] | undefined;
  /** Twilio's own time of the event (a call callback's Timestamp; the table's own Timestamp is another thing). */
  twilioTimestamp?: string | undefined;
  source: EventSource;
  /** Deliveries with the same key are the same event: a redelivery records nothing new. */
  eventKey: string;
}

export interface CallOrMessage {
  sid: string;
  kind: Kind;
  direction: Direction;
  from: string;
  to: string;
  status: string;
  sequence?: number;
  duration?: number;
  errorCode?: number;
  body?: string;
  mediaUrls?: string[];
  createdAt: string;
  updatedAt: string;
  /** Fields cut to what storage holds (a text longer than a table property can be). */
  truncated?: string[];
}

export interface RecordEvent {
  status: string;
  source: EventSource;
  at: string;
  sequence?: number;
  twilioTimestamp?: string;
  duration?: number;
  errorCode?: number;
}

interface StoredRecord extends CallOrMessage {
  indexed: boolean;
}

const RECORD_ROW = 'record';
const EVENT_PREFIX = 'event|';
const MAX_UPDATE_ATTEMPTS = 50;
/** Twilio sends at most 10 media URLs; more, or longer, than this would not fit an entity. */
const MAX_MEDIA_URLS = 10;
const MAX_MEDIA_URL_LENGTH = 2_000;

const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/**
 * Records an observation: creates or advances the record, lists it, and adds the event.
 * Safe to repeat and to run concurrently for one SID. Answers whether the event was new.
 * Throws a StoreUnavailableError when storage fails, so the caller can answer 503.
 */
export async function saveObservation(
  settings: Settings,
  observation: Observation,
  { now = new Date(), signal = storageDeadline() }: { now?: Date; signal?: AbortSignal } = {},
): Promise<{ duplicate: boolean }> {
  try {
    const tables = await getTables(settings, signal);
    const record = await upsertRecord(tables.records, observation, now, signal);
    if (!record.indexed) await addToIndex(tables, record, signal);
    return { duplicate: !(await addEvent(tables.records, observation, now, signal)) };
  } catch (error) {
    throw storeFailure(error);
  }
}

/**
 * Creates the record, or merges the observation into it under optimistic concurrency: a
 * write that lost a race (412) reads again and retries, so no update is lost.
 */
async function upsertRecord(table: TableClient, observation: Observation, now: Date, signal: AbortSignal): Promise<StoredRecord> {
  // Webhooks and API calls usually see a SID first; callbacks usually find it there.
  let current = observation.source === 'status-callback' ? await readRecord(table, observation.sid, signal) : undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      if (!current) {
        const created = newRecord(observation, now);
        await table.createEntity(toEntity(created), { abortSignal: signal });
        return created;
      }
      const merged = merge(current.record, observation, now);
      if (!merged) return current.record;
      await table.updateEntity(toEntity(merged), 'Replace', { etag: current.etag, abortSignal: signal });
      return merged;
    } catch (error) {
      const status = storageStatus(error);
      if ((status !== 409 && status !== 412) || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * Math.min(attempt, 10)));
      current = await readRecord(table, observation.sid, signal);
    }
  }
}

function newRecord(observation: Observation, now: Date): StoredRecord {
  const at = now.toISOString();
  return defined({
    sid: observation.sid,
    kind: observation.kind,
    direction: observation.direction,
    from: observation.from ?? '',
    to: observation.to ?? '',
    status: statusRank(observation.kind, observation.status) >= 0 ? observation.status : 'unknown',
    sequence: observation.sequence,
    duration: observation.duration,
    errorCode: observation.errorCode,
    body: observation.body,
    mediaUrls: storableMediaUrls(observation.mediaUrls),
    createdAt: at,
    updatedAt: at,
    indexed: false,
  });
}

/** The record with the observation applied, or undefined when it changes nothing. */
function merge(record: StoredRecord, observation: Observation, now: Date): StoredRecord | undefined {
  const next: StoredRecord = { ...record };
  if (advances(record.kind, record, observation)) next.status = observation.status;
  if (observation.sequence !== undefined && (next.sequence === undefined || observation.sequence > next.sequence)) {
    next.sequence = observation.sequence;
  }
  next.from ||= observation.from ?? '';
  next.to ||= observation.to ?? '';
  next.duration ??= observation.duration;
  next.errorCode ??= observation.errorCode;
  next.body ??= observation.body;
  next.mediaUrls ??= storableMediaUrls(observation.mediaUrls);
  const result = defined(next);
  if (JSON.stringify(result) === JSON.stringify(record)) return undefined;
  return { ...result, updatedAt: now.toISOString() };
}

const storableMediaUrls = (urls: string[] | undefined) => urls?.slice(0, MAX_MEDIA_URLS).map((url) => url.slice(0, MAX_MEDIA_URL_LENGTH));

/** Lists the record, then marks it indexed: only then is it visible (a record is listed wherever it can be read). */
async function addToIndex(tables: Tables, record: StoredRecord, signal: AbortSignal): Promise<void> {
  const rowKey = indexRowKey(record);
  await Promise.all(
    indexPartitions(record).map((partitionKey) =>
      tables.index.upsertEntity({ partitionKey, rowKey, sid: record.sid }, 'Replace', { abortSignal: signal }),
    ),
  );
  await tables.records.updateEntity({ partitionKey: record.sid, rowKey: RECORD_ROW, indexed: true }, 'Merge', { abortSignal: signal });
}

/** Adds the event unless one with its key exists; answers whether it was new. */
async function addEvent(table: TableClient, observation: Observation, now: Date, signal: AbortSignal): Promise<boolean> {
  const event: RecordEvent = defined({
    status: observation.status,
    source: observation.source,
    at: now.toISOString(),
    sequence: observation.sequence,
    twilioTimestamp: observation.twilioTimestamp,
    duration: observation.duration,
    errorCode: observation.errorCode,
  });
  try {
    const entity = storable({ partitionKey: observation.sid, rowKey: `${EVENT_PREFIX}${observation.eventKey}`, ...event });
    await table.createEntity(entity.entity, { abortSignal: signal });
    return true;
  } catch (error) {
    if (storageStatus(error) === 409) return false;
    throw error;
  }
}

// Entities ------------------------------------------------------------------------------

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** The record as an entity whose every text fits a table property; the fields that had to be cut are named in `truncated`. */
function toEntity(record: StoredRecord): Entity {
  const { sid, mediaUrls, truncated: alreadyCut, ...rest } = record;
  const { entity, truncated } = storable(defined({ partitionKey: sid, rowKey: RECORD_ROW, ...rest, mediaUrls: mediaUrls && JSON.stringify(mediaUrls) }));
  const cut = [...new Set([...(alreadyCut ?? []), ...truncated])];
  return cut.length ? { ...entity, truncated: cut.join(',') } : entity;
}

const FIELDS = ['kind', 'direction', 'from', 'to', 'status', 'sequence', 'duration', 'errorCode', 'body', 'createdAt', 'updatedAt', 'indexed'] as const;

function fromEntity(entity: TableEntityResult<Record<string, unknown>>): StoredRecord {
  const picked = Object.fromEntries(FIELDS.filter((name) => entity[name] !== undefined).map((name) => [name, entity[name]]));
  const mediaUrls = typeof entity.mediaUrls === 'string' ? (JSON.parse(entity.mediaUrls) as string[]) : undefined;
  const truncated = typeof entity.truncated === 'string' && entity.truncated ? entity.truncated.split(',') : undefined;
  return defined({ sid: entity.partitionKey!, ...picked, mediaUrls, truncated, indexed: entity.indexed === true }) as StoredRecord;
}

async function readRecord(table: TableClient, sid: string, signal: AbortSignal): Promise<{ record: StoredRecord; etag: string } | undefined> {
  try {
    const entity = await table.getEntity<Record<string, unknown>>(sid, RECORD_ROW, { abortSignal: signal });
    return { record: fromEntity(entity), etag: entity.etag };
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}

// Reads ---------------------------------------------------------------------------------

const view = ({ indexed: _indexed, ...record }: StoredRecord): CallOrMessage => record;

/**
 * The record of one SID with its history in time order, or undefined when there is none of
 * this kind. A record that is not yet fully indexed is not shown: what can be read can be listed.
 */
export async function findRecord(settings: Settings, kind: Kind, sid: string): Promise<(CallOrMessage & { events: RecordEvent[] }) | undefined> {
  const signal = storageDeadline();
  try {
    const { records } = await getTables(settings, signal);
    let record: StoredRecord | undefined;
    const events: RecordEvent[] = [];
    const { odata } = await import('@azure/data-tables');
    const query = { queryOptions: { filter: odata`PartitionKey eq ${sid}` }, abortSignal: signal };
    for await (const entity of records.listEntities<Record<string, unknown>>(query)) {
      if (entity.rowKey === RECORD_ROW) record = fromEntity(entity);
      else if (entity.rowKey?.startsWith(EVENT_PREFIX)) events.push(toEvent(entity));
    }
    if (record?.kind !== kind || !record.indexed) return undefined;
    return { ...view(record), events: inTimeOrder(kind, events) };
  } catch (error) {
    throw storeFailure(error);
  }
}

const EVENT_FIELDS = ['status', 'source', 'at', 'sequence', 'twilioTimestamp', 'duration', 'errorCode'] as const;

const toEvent = (entity: Record<string, unknown>): RecordEvent =>
  Object.fromEntries(EVENT_FIELDS.filter((name) => entity[name] !== undefined).map((name) => [name, entity[name]])) as unknown as RecordEvent;

/**
 * Events in the order they happened, as far as we can tell. Each is placed at the time it was
 * recorded, unless it arrived late: then it takes the time of the earliest event that must
 * have come after it (a higher SequenceNumber of the same call, else a later status in the
 * lifecycle). Callbacks arrive in any order; the lifecycle and Twilio's sequence do not lie.
 */
function inTimeOrder(kind: Kind, events: RecordEvent[]): RecordEvent[] {
  const rank = (event: RecordEvent) => statusRank(kind, event.status);
  const comesAfter = (later: RecordEvent, event: RecordEvent) =>
    rank(later) >= 0 &&
    rank(event) >= 0 &&
    (later.sequence !== undefined && event.sequence !== undefined ? later.sequence > event.sequence : rank(later) > rank(event));
  const placed = events.map((event) => ({
    event,
    time: events.reduce((earliest, other) => (comesAfter(other, event) && other.at < earliest ? other.at : earliest), event.at),
  }));
  placed.sort(
    (a, b) =>
      a.time.localeCompare(b.time) ||
      rank(a.event) - rank(b.event) ||
      (a.event.sequence ?? -1) - (b.event.sequence ?? -1) ||
      a.event.at.localeCompare(b.event.at),
  );
  return placed.map(({ event }) => event);
}

export interface ListQuery {
  number?: string | undefined;
  direction?: Direction | undefined;
  limit: number;
  /** A decoded cursor (decodeCursor). */
  cursor?: string | undefined;
}

/** Records newest first, one page at a time; `nextCursor` is null on the last page. */
export async function listRecords(settings: Settings, kind: Kind, query: ListQuery): Promise<{ items: CallOrMessage[]; nextCursor: string | null }> {
  const signal = storageDeadline();
  try {
    const tables = await getTables(settings, signal);
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
  } catch (error) {
    throw storeFailure(error);
  }
}

// Index keys ----------------------------------------------------------------------------

/** Newest first in key order: the time counted down from the latest a Date can hold. */
function indexRowKey(record: StoredRecord): string {
  const inverted = 8_640_000_000_000_000 - Date.parse(record.createdAt);
  return `${String(inverted).padStart(16, '0')}|${record.sid}`;
}

/** A cursor is the last index row key of a page, opaque to callers. */
const encodeCursor = (rowKey: string) => Buffer.from(rowKey).toString('base64url');

/** The index row key a cursor stands for, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
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
  const numbers = [...new Set([record.from, record.to])].filter((n) => E164.test(n));
  return [undefined, ...numbers].flatMap((number) => [
    listingPartition(record.kind, number),
    listingPartition(record.kind, number, record.direction),
  ]);
}
