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
import type { Settings } from './config';
import { advances, statusRank, type Kind } from './recordStatus';
import { storageStatus, storeFailure, withTables, type Tables } from './tables';

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
const MAX_INDEXED_NUMBER = 200;

const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/**
 * Records an observation: creates or advances the record, lists it, and adds the event.
 * Safe to repeat and to run concurrently for one SID. Answers whether the event was new.
 * Throws a StoreUnavailableError when storage fails, so the caller can answer 503.
 */
export async function saveObservation(settings: Settings, observation: Observation, now = new Date()): Promise<{ duplicate: boolean }> {
  try {
    return await withTables(settings, async (tables) => {
      const record = await upsertRecord(tables.records, observation, now);
      // The event does not wait for the listings: every write here can be repeated, so when one
      // fails (503) Twilio's retry writes what is missing and finds the rest.
      const [, added] = await Promise.all([record.indexed ? undefined : addToIndex(tables, record), addEvent(tables.records, observation, now)]);
      return { duplicate: !added };
    });
  } catch (error) {
    throw storeFailure(error);
  }
}

/**
 * Creates the record, or merges the observation into it under optimistic concurrency: a
 * write that lost a race (412) reads again and retries, so no update is lost.
 */
async function upsertRecord(table: TableClient, observation: Observation, now: Date): Promise<StoredRecord> {
  // Webhooks and API calls usually see a SID first; callbacks usually find it there.
  let current = observation.source === 'status-callback' ? await readRecord(table, observation.sid) : undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      if (!current) {
        const created = newRecord(observation, now);
        await table.createEntity(toEntity(created));
        return created;
      }
      const merged = merge(current.record, observation, now);
      if (!merged) return current.record;
      await table.updateEntity(toEntity(merged), 'Replace', { etag: current.etag });
      return merged;
    } catch (error) {
      const status = storageStatus(error);
      if ((status !== 409 && status !== 412) || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * Math.min(attempt, 10)));
      current = await readRecord(table, observation.sid);
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
    mediaUrls: observation.mediaUrls,
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
  next.mediaUrls ??= observation.mediaUrls;
  const result = defined(next);
  if (JSON.stringify(result) === JSON.stringify(record)) return undefined;
  return { ...result, updatedAt: now.toISOString() };
}

async function addToIndex(tables: Tables, record: StoredRecord): Promise<void> {
  const rowKey = indexRowKey(record);
  await Promise.all(
    indexPartitions(record).map((partitionKey) => tables.index.upsertEntity({ partitionKey, rowKey, sid: record.sid }, 'Replace')),
  );
  await tables.records.updateEntity({ partitionKey: record.sid, rowKey: RECORD_ROW, indexed: true }, 'Merge');
}

/** Adds the event unless one with its key exists; answers whether it was new. */
async function addEvent(table: TableClient, observation: Observation, now: Date): Promise<boolean> {
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
    await table.createEntity({ partitionKey: observation.sid, rowKey: `${EVENT_PREFIX}${observation.eventKey}`, ...event });
    return true;
  } catch (error) {
    if (storageStatus(error) === 409) return false;
    throw error;
  }
}

// Entities ------------------------------------------------------------------------------

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

function toEntity(record: StoredRecord): Entity {
  const { sid, mediaUrls, ...rest } = record;
  return defined({ partitionKey: sid, rowKey: RECORD_ROW, ...rest, mediaUrls: mediaUrls && JSON.stringify(mediaUrls) });
}

const FIELDS = ['kind', 'direction', 'from', 'to', 'status', 'sequence', 'duration', 'errorCode', 'body', 'createdAt', 'updatedAt', 'indexed'] as const;

function fromEntity(entity: TableEntityResult<Record<string, unknown>>): StoredRecord {
  const picked = Object.fromEntries(FIELDS.filter((name) => entity[name] !== undefined).map((name) => [name, entity[name]]));
  const mediaUrls = typeof entity.mediaUrls === 'string' ? (JSON.parse(entity.mediaUrls) as string[]) : undefined;
  return defined({ sid: entity.partitionKey!, ...picked, mediaUrls, indexed: entity.indexed === true }) as StoredRecord;
}

async function readRecord(table: TableClient, sid: string): Promise<{ record: StoredRecord; etag: string } | undefined> {
  try {
    const entity = await table.getEntity<Record<string, unknown>>(sid, RECORD_ROW);
    return { record: fromEntity(entity), etag: entity.etag };
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}

// Reads ---------------------------------------------------------------------------------

const view = ({ indexed: _indexed, ...record }: StoredRecord): CallOrMessage => record;

/** The record of one SID with its history (in Twilio's order), or undefined when there is none of this kind. */
export async function findRecord(settings: Settings, kind: Kind, sid: string): Promise<(CallOrMessage & { events: RecordEvent[] }) | undefined> {
  try {
    return await withTables(settings, async ({ records }) => {
      let record: StoredRecord | undefined;
      const events: RecordEvent[] = [];
      const { odata } = await import('@azure/data-tables');
      for await (const entity of records.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${sid}` } })) {
        if (entity.rowKey === RECORD_ROW) record = fromEntity(entity);
        else if (entity.rowKey?.startsWith(EVENT_PREFIX)) events.push(toEvent(entity));
      }
      if (record?.kind !== kind) return undefined;
      return { ...view(record), events: sortEvents(kind, events) };
    });
  } catch (error) {
    throw storeFailure(error);
  }
}

const EVENT_FIELDS = ['status', 'source', 'at', 'sequence', 'twilioTimestamp', 'duration', 'errorCode'] as const;

const toEvent = (entity: Record<string, unknown>): RecordEvent =>
  Object.fromEntries(EVENT_FIELDS.filter((name) => entity[name] !== undefined).map((name) => [name, entity[name]])) as unknown as RecordEvent;

function sortEvents(kind: Kind, events: RecordEvent[]): RecordEvent[] {
  const key = (event: RecordEvent) => [statusRank(kind, event.status), event.sequence ?? -1] as const;
  return events.sort((a, b) => {
    const [ra, sa] = key(a);
    const [rb, sb] = key(b);
    return ra - rb || sa - sb || a.at.localeCompare(b.at);
  });
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
  try {
    return await withTables(settings, async (tables) => {
      const { odata } = await import('@azure/data-tables');
      const partition = listingPartition(kind, query.number, query.direction);
      const filter = query.cursor
        ? odata`PartitionKey eq ${partition} and RowKey gt ${query.cursor}`
        : odata`PartitionKey eq ${partition}`;
      const rows: Array<{ rowKey: string; sid: string }> = [];
      const pages = tables.index
        .listEntities<{ sid: string }>({ queryOptions: { filter, select: ['RowKey', 'sid'] } })
        .byPage({ maxPageSize: query.limit + 1 });
      for await (const page of pages) {
        for (const row of page) rows.push({ rowKey: row.rowKey!, sid: row.sid });
        if (rows.length > query.limit) break;
      }
      const page = rows.slice(0, query.limit);
      const found = await Promise.all(page.map((row) => readRecord(tables.records, row.sid)));
      return {
        items: found.flatMap((entry) => (entry ? [view(entry.record)] : [])),
        nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.rowKey) : null,
      };
    });
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

function indexPartitions(record: StoredRecord): string[] {
  const numbers = [...new Set([record.from, record.to])].filter((n) => n && n.length <= MAX_INDEXED_NUMBER);
  return [undefined, ...numbers].flatMap((number) => [
    listingPartition(record.kind, number),
    listingPartition(record.kind, number, record.direction),
  ]);
}
