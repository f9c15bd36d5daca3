/**
 * The record of every call and message: one entity per SID with its current status, and one
 * event per distinct delivery (creation, webhook, status callback) as its history. Shapes are
 * in model.ts, entities and keys in entities.ts, listings in listing.ts.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { EVENT_PREFIX, eventEntity, eventFromEntity, readRecord, RECORD_ROW, recordEntity, recordFromEntity, view } from './entities';
import { addToIndex, removeIndexRows, writeIndexRows } from './listing';
import { mergeFacts, storedRecordSchema, type CallOrMessage, type Observation, type RecordEvent, type StoredRecord } from './model';
import { advances, statusRank, type Kind } from './status';
import { storageStatus, withTables, type Tables } from './tables';

const MAX_UPDATE_ATTEMPTS = 50;
/** Twilio sends at most 10 media URLs; more, or longer, than this would not fit an entity. */
const MAX_MEDIA_URLS = 10;
const MAX_MEDIA_URL_LENGTH = 2_000;

/**
 * Records an observation: adds the event and creates or advances the record, then lists it.
 * Safe to repeat and to run concurrently for one SID. Answers whether the event was new.
 * Throws StoreUnavailableError when storage fails or does not answer by `signal` (503),
 * StoreRefusedError when it refuses a value (4xx).
 */
export async function saveObservation(
  settings: Settings,
  observation: Observation,
  { now = new Date(), signal = storageDeadline() }: { now?: Date; signal?: AbortSignal } = {},
): Promise<{ duplicate: boolean }> {
  const storableObservation = { ...observation, mediaUrls: observation.mediaUrls?.slice(0, MAX_MEDIA_URLS).map((url) => url.slice(0, MAX_MEDIA_URL_LENGTH)) };
  return withTables(settings, signal, async (tables) => {
    const listedFirst = isFirstWord(storableObservation) ? newRecord(storableObservation, now) : undefined;
    if (listedFirst && (await createListed(tables, listedFirst, storableObservation, signal))) return { duplicate: false };
    // The event and the record together; a new record becomes visible (indexed) only after both,
    // so it never shows a status without the event that brought it.
    const [added, record] = await Promise.all([
      addEvent(tables.records, storableObservation, now, signal),
      upsertRecord(tables.records, storableObservation, now, signal),
    ]);
    if (listedFirst && listedFirst.createdAt !== record.createdAt) await removeIndexRows(tables, listedFirst, signal).catch(keepOrphanRows);
    if (!record.indexed) await addToIndex(tables, record, signal);
    return { duplicate: !added };
  });
}

/**
 * Webhooks about incoming calls and texts, and our API's calls and texts, are usually the first
 * word of their SID; status callbacks, and the voice webhook of a call we placed, find it there.
 */
const isFirstWord = (observation: Observation) =>
  observation.source === 'api' || (observation.source !== 'status-callback' && observation.direction === 'inbound');

/**
 * A new record in two round trips instead of nine: its listing rows (one transaction, see
 * listing.ts), then the record, already marked indexed, with its first event (one transaction in
 * the SID's partition). It is never visible without its event, and listed only once both are in.
 * Answers false, having written nothing to the SID's partition, when the record or the event
 * is already there (a redelivery, or a callback that came first): the caller takes the long way.
 */
async function createListed(tables: Tables, record: StoredRecord, observation: Observation, signal: AbortSignal): Promise<boolean> {
  await writeIndexRows(tables, record, signal);
  try {
    const actions: TransactionAction[] = [
      ['create', recordEntity({ ...record, indexed: true })],
      ['create', eventEntity(observation, record.createdAt)],
    ];
    await tables.records.submitTransaction(actions, { abortSignal: signal });
    return true;
  } catch (error) {
    if (storageStatus(error) === 409) return false;
    throw error;
  }
}

/**
 * Rows that point at a record created at another time are never listed (listing.ts checks the
 * time), so failing to take them back costs a listing slot, not a wrong answer: the event is
 * recorded and the webhook need not fail for them.
 */
const keepOrphanRows = () => undefined;

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
        await table.createEntity(recordEntity(created), { abortSignal: signal });
        return created;
      }
      const merged = merge(current.record, observation, now);
      if (!merged) return current.record;
      await table.updateEntity(recordEntity(merged), 'Replace', { etag: current.etag, abortSignal: signal });
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
  return storedRecordSchema.parse({
    ...observation,
    status: statusRank(observation.kind, observation.status) >= 0 ? observation.status : 'unknown',
    createdAt: at,
    updatedAt: at,
    indexed: false,
  });
}

/** The record with the observation applied, or undefined when it changes nothing. */
function merge(record: StoredRecord, observation: Observation, now: Date): StoredRecord | undefined {
  const next = mergeFacts(record, observation);
  if (advances(record.kind, record, observation)) next.status = observation.status;
  if (JSON.stringify(next) === JSON.stringify(record)) return undefined;
  return { ...next, updatedAt: now.toISOString() };
}

/** Adds the event unless one with its key exists; answers whether it was new. */
async function addEvent(table: TableClient, observation: Observation, now: Date, signal: AbortSignal): Promise<boolean> {
  try {
    await table.createEntity(eventEntity(observation, now.toISOString()), { abortSignal: signal });
    return true;
  } catch (error) {
    if (storageStatus(error) === 409) return false;
    throw error;
  }
}

/**
 * The record of one SID with its history in time order, or undefined when there is none of
 * this kind. A record that is not yet fully indexed is not shown: what can be read can be listed.
 */
export async function findRecord(settings: Settings, kind: Kind, sid: string): Promise<(CallOrMessage & { events: RecordEvent[] }) | undefined> {
  const signal = storageDeadline();
  return withTables(settings, signal, async ({ records }) => {
    let record: StoredRecord | undefined;
    const events: RecordEvent[] = [];
    const { odata } = await import('@azure/data-tables');
    const query = { queryOptions: { filter: odata`PartitionKey eq ${sid}` }, abortSignal: signal };
    for await (const entity of records.listEntities<Record<string, unknown>>(query)) {
      if (entity.rowKey === RECORD_ROW) record = recordFromEntity(entity);
      else if (entity.rowKey?.startsWith(EVENT_PREFIX)) events.push(eventFromEntity(entity));
    }
    if (record?.kind !== kind || !record.indexed) return undefined;
    return { ...view(record), events: inTimeOrder(kind, events) };
  });
}

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
