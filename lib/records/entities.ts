/**
 * Records, their events and their listing rows as entities of one table, TwilioRecords, and
 * why they share partitions: PartitionKey = kind + shard (`call|0`…`call|7`, `message|0`…), the
 * shard chosen by the SID, so everything about one SID is in one partition with the listing
 * rows of the SIDs of its shard. A new record, its first event and its listing rows are then
 * one transaction: one round trip, and none of them is ever seen without the others.
 * - RowKey `sid|<SID>`: the record; `sid|<SID>|event|<key>`: each event. Reading a record with
 *   its history is one key range of one partition, the record is a point read, and an event's
 *   key makes a redelivery a conflict instead of a second event.
 * - RowKey `<filter>|<inverted creation time>|<SID>`: listing rows (listing.ts), each a copy of
 *   the record with its `sid`, so a listing reads no record; every write of the record writes
 *   them in the same transaction, so they never differ from it.
 * Every property is a field of the schemas in model.ts: lists are stored as JSON, texts are
 * cut to what a property holds, and reading parses back through the same schemas.
 */
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { eventSchema, recordSchema, type CallOrMessage, type Observation, type RecordEvent } from './model';
import type { Kind } from './status';
import { storable, storageStatus } from './tables';

/**
 * Eight shards a kind: a partition takes about 2,000 entities a second, and every new record
 * writes eight (record, event, six listing rows), so one partition would cap new records near
 * 250 a second (docs/capacity.md); a listing reads all eight at once.
 */
export const SHARDS = [0, 1, 2, 3, 4, 5, 6, 7];

/** A SID's shard: the same for every delivery about it, and spread evenly since SIDs end in random hex. */
const shardOf = (sid: string) => [...sid].reduce((sum, char) => sum + char.charCodeAt(0), 0) % SHARDS.length;

export const shardPartition = (kind: Kind, shard: number) => `${kind}|${shard}`;
export const partitionOf = (kind: Kind, sid: string) => shardPartition(kind, shardOf(sid));

const SID_PREFIX = 'sid|';
const recordRow = (sid: string) => `${SID_PREFIX}${sid}`;
const EVENT_INFIX = '|event|';
/** RowKey `sid|<SID>|state`: what a flow remembers of the call (flowState.ts). */
export const STATE_SUFFIX = '|state';

/** Where the record of a SID is. */
export const recordKeys = (kind: Kind, sid: string) => ({
  partitionKey: partitionOf(kind, sid),
  rowKey: recordRow(sid),
});

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

const asProperties = (values: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? JSON.stringify(value) : value]),
  );

/** The record as an entity whose every text fits a table property; the fields that had to be cut are named in `truncated`. */
export function recordEntity(record: CallOrMessage): Entity {
  const { sid, truncated: alreadyCut, ...rest } = record;
  const { entity, truncated } = storable({ ...recordKeys(record.kind, sid), ...asProperties(rest) });
  const cut = [...new Set([...(alreadyCut ?? []), ...truncated])];
  return cut.length ? { ...entity, truncated: JSON.stringify(cut) } : entity;
}

export const recordFromEntity = (entity: Record<string, unknown> & { rowKey?: string }): CallOrMessage =>
  recordSchema.parse({ ...entity, sid: entity.rowKey?.slice(SID_PREFIX.length) });

export function eventEntity(observation: Observation, at: string): Entity {
  const event = eventSchema.parse({ ...observation, at });
  const rowKey = `${recordRow(observation.sid)}${EVENT_INFIX}${observation.eventKey}`;
  return storable({ partitionKey: partitionOf(observation.kind, observation.sid), rowKey, ...asProperties(event) })
    .entity;
}

/** A listing row: the record's entity (recordEntity) under a listing's key, with its SID (listing.ts). */
export const listingEntity = (recordAsEntity: Entity, sid: string, rowKey: string): Entity => ({
  ...recordAsEntity,
  rowKey,
  sid,
});

/**
 * The record a listing row carries; undefined for a row written before rows carried their
 * record (it holds only `sid`), whose record is then read where it is.
 */
export const recordFromListingRow = (entity: Record<string, unknown>): CallOrMessage | undefined =>
  entity.status === undefined ? undefined : recordSchema.parse(entity);

export const eventFromEntity = (entity: Record<string, unknown>): RecordEvent => eventSchema.parse(entity);

/** One event of a SID by its key (a point read), or undefined when there is none. */
export async function readEvent(
  table: TableClient,
  kind: Kind,
  sid: string,
  eventKey: string,
  signal: AbortSignal,
): Promise<RecordEvent | undefined> {
  try {
    const rowKey = `${recordRow(sid)}${EVENT_INFIX}${eventKey}`;
    const entity = await table.getEntity<Record<string, unknown>>(partitionOf(kind, sid), rowKey, {
      abortSignal: signal,
    });
    return eventFromEntity(entity);
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function readRecord(
  table: TableClient,
  kind: Kind,
  sid: string,
  signal: AbortSignal,
): Promise<{ record: CallOrMessage; etag: string } | undefined> {
  try {
    const { partitionKey, rowKey } = recordKeys(kind, sid);
    const entity = await table.getEntity<Record<string, unknown>>(partitionKey, rowKey, { abortSignal: signal });
    return { record: recordFromEntity(entity), etag: entity.etag };
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}

/** The key range of everything about one SID in its partition: the record, its events, a flow's state. */
async function sidRangeFilter(kind: Kind, sid: string): Promise<string> {
  const { odata } = await import('@azure/data-tables');
  const first = recordRow(sid);
  // `}` sorts right after `|`: the range holds the record and its rows, and no other SID's.
  return odata`PartitionKey eq ${partitionOf(kind, sid)} and RowKey ge ${first} and RowKey lt ${`${first}}`}`;
}

/** What a row of a SID's range is: its record, one of its events, or other state kept with it (a flow's). */
export function sidRowKind(sid: string, rowKey: string): 'record' | 'event' | 'state' {
  if (rowKey === recordRow(sid)) return 'record';
  return rowKey.startsWith(`${recordRow(sid)}${EVENT_INFIX}`) ? 'event' : 'state';
}

/** Every entity of a SID's range (record, events, state), as stored. */
export async function readSidEntities(
  table: TableClient,
  kind: Kind,
  sid: string,
  signal: AbortSignal,
): Promise<Array<Record<string, unknown> & { partitionKey: string; rowKey: string }>> {
  const entities: Array<Record<string, unknown> & { partitionKey: string; rowKey: string }> = [];
  const filter = await sidRangeFilter(kind, sid);
  for await (const entity of table.listEntities<Record<string, unknown>>({
    queryOptions: { filter },
    abortSignal: signal,
  }))
    entities.push({ ...entity, partitionKey: entity.partitionKey!, rowKey: entity.rowKey! });
  return entities;
}

/** The record of one SID with its events, in one single-partition read; undefined when there is none of this kind. */
export async function readRecordWithEvents(
  table: TableClient,
  kind: Kind,
  sid: string,
  signal: AbortSignal,
): Promise<{ record: CallOrMessage; events: RecordEvent[]; state?: Record<string, unknown> } | undefined> {
  const first = recordRow(sid);
  const filter = await sidRangeFilter(kind, sid);
  let record: CallOrMessage | undefined;
  let state: Record<string, unknown> | undefined;
  const events: RecordEvent[] = [];
  for await (const entity of table.listEntities<Record<string, unknown>>({
    queryOptions: { filter },
    abortSignal: signal,
  })) {
    if (entity.rowKey === first) record = recordFromEntity(entity);
    else if (entity.rowKey?.startsWith(`${first}${EVENT_INFIX}`)) events.push(eventFromEntity(entity));
    else if (entity.rowKey === `${first}${STATE_SUFFIX}`) state = entity;
  }
  return record && { record, events, ...(state ? { state } : {}) };
}
