/**
 * Records and events as table entities. Keys, and why:
 * - TwilioRecords: PartitionKey = SID, RowKey `record` for the record and `event|<key>` for each
 *   event. Reading a record with its history is one single-partition query, the record is a
 *   point read, and an event's key makes a redelivery a conflict instead of a second event.
 * - TwilioRecordIndex (listing.ts): one partition per listing filter, RowKey = inverted
 *   creation time + SID.
 * Every property is a field of the schemas in model.ts: lists are stored as JSON, texts are
 * cut to what a property holds, and reading parses back through the same schemas.
 */
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { eventSchema, storedRecordSchema, type Observation, type RecordEvent, type StoredRecord } from './model';
import { storable, storageStatus } from './tables';

export const RECORD_ROW = 'record';
export const EVENT_PREFIX = 'event|';

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

const asProperties = (values: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? JSON.stringify(value) : value]),
  );

/** The record as an entity whose every text fits a table property; the fields that had to be cut are named in `truncated`. */
export function recordEntity(record: StoredRecord): Entity {
  const { sid, truncated: alreadyCut, ...rest } = record;
  const { entity, truncated } = storable({ partitionKey: sid, rowKey: RECORD_ROW, ...asProperties(rest) });
  const cut = [...new Set([...(alreadyCut ?? []), ...truncated])];
  return cut.length ? { ...entity, truncated: JSON.stringify(cut) } : entity;
}

export const recordFromEntity = (entity: Record<string, unknown>): StoredRecord =>
  storedRecordSchema.parse({ ...entity, sid: entity.partitionKey });

export function eventEntity(observation: Observation, at: string): Entity {
  const event = eventSchema.parse({ ...observation, at });
  return storable({ partitionKey: observation.sid, rowKey: `${EVENT_PREFIX}${observation.eventKey}`, ...asProperties(event) }).entity;
}

export const eventFromEntity = (entity: Record<string, unknown>): RecordEvent => eventSchema.parse(entity);

export async function readRecord(table: TableClient, sid: string, signal: AbortSignal): Promise<{ record: StoredRecord; etag: string } | undefined> {
  try {
    const entity = await table.getEntity<Record<string, unknown>>(sid, RECORD_ROW, { abortSignal: signal });
    return { record: recordFromEntity(entity), etag: entity.etag };
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}

/** What callers see of a stored record. */
export const view = ({ indexed: _indexed, ...record }: StoredRecord) => record;
