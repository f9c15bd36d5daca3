/**
 * The record of every call and message: one entity per SID with its current status, and one
 * event per distinct delivery (creation, webhook, status callback) as its history. Shapes are
 * in model.ts, entities, keys and partitions in entities.ts, listings in listing.ts.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { eventEntity, readEvent, readRecord, readRecordWithEvents, recordEntity } from './entities';
import { flowStateFromEntity, shownVariables, type FlowState } from './flowState';
import { listingRows } from './listing';
import { mergeFacts, recordSchema, type CallOrMessage, type Observation, type RecordEvent } from './model';
import { advances, statusRank, type Kind } from './status';
import { storageStatus, withTables } from './tables';

const MAX_UPDATE_ATTEMPTS = 50;
/** Twilio sends at most 10 media URLs; more, or longer, than this would not fit an entity. */
const MAX_MEDIA_URLS = 10;
const MAX_MEDIA_URL_LENGTH = 2_000;

/**
 * Records an observation: adds the event and creates or advances the record. A new record is
 * created with its first event and its listing rows in one transaction, so it is never read
 * without the event that brought it and is listed from the moment it can be read. Safe to
 * repeat and to run concurrently for one SID. Answers whether the event was new.
 * Throws StoreUnavailableError when storage fails or does not answer by `signal` (503),
 * StoreRefusedError when it refuses a value (4xx).
 */
export async function saveObservation(
  settings: Settings,
  observation: Observation,
  { now = new Date(), signal = storageDeadline() }: { now?: Date; signal?: AbortSignal } = {},
): Promise<{ duplicate: boolean }> {
  const storableObservation = {
    ...observation,
    mediaUrls: observation.mediaUrls?.slice(0, MAX_MEDIA_URLS).map((url) => url.slice(0, MAX_MEDIA_URL_LENGTH)),
  };
  return withTables(settings, signal, async ({ records }) => {
    const existing = isFirstWord(storableObservation)
      ? undefined
      : await readRecord(records, observation.kind, observation.sid, signal);
    if (!existing && (await createRecord(records, storableObservation, now, signal))) return { duplicate: false };
    const [added] = await Promise.all([
      addEvent(records, storableObservation, now, signal),
      advanceRecord(records, storableObservation, now, signal, existing),
    ]);
    return { duplicate: !added };
  });
}

/**
 * Webhooks about incoming calls and texts, and our API's calls and texts, are usually the first
 * word of their SID; status callbacks, a flow's later turns and recordings, and the voice
 * webhook of a call we placed find the record there.
 */
const isFirstWord = ({ source, direction }: Observation) =>
  source === 'api' || ((source === 'voice-webhook' || source === 'sms-webhook') && direction === 'inbound');

/** What creates a record with its listing rows; all in the record's partition, so one transaction. */
const creation = (record: CallOrMessage): TransactionAction[] => [
  ['create', recordEntity(record)],
  ...listingRows(record).map((row): TransactionAction => ['upsert', row, 'Replace']),
];

/**
 * What changes a record: the record under the ETag it was read with, and its listing rows
 * rewritten to match, in one transaction (one partition). A write that lost a race fails as a
 * whole (412), so the rows change only with the record and never fall behind it.
 */
const update = (record: CallOrMessage, etag: string): TransactionAction[] => [
  ['update', recordEntity(record), 'Replace', { etag }],
  ...listingRows(record).map((row): TransactionAction => ['upsert', row, 'Replace']),
];

/**
 * A new record with its first event and listing rows: one round trip. Answers false, having
 * written nothing, when the record or the event is already there (a redelivery, or another
 * delivery about the SID that got there first).
 */
async function createRecord(
  table: TableClient,
  observation: Observation,
  now: Date,
  signal: AbortSignal,
): Promise<boolean> {
  const record = newRecord(observation, now);
  try {
    await table.submitTransaction([...creation(record), ['create', eventEntity(observation, record.createdAt)]], {
      abortSignal: signal,
    });
    return true;
  } catch (error) {
    if (storageStatus(error) === 409) return false;
    throw error;
  }
}

/**
 * Merges the observation into the record and its listing rows under optimistic concurrency:
 * a write that lost a race (412) reads again and retries, so no update is lost. A record that is not there while
 * its event is (the only way createRecord finds a conflict and no record) is created.
 */
async function advanceRecord(
  table: TableClient,
  observation: Observation,
  now: Date,
  signal: AbortSignal,
  known?: { record: CallOrMessage; etag: string },
): Promise<void> {
  let current = known;
  for (let attempt = 1; ; attempt++) {
    try {
      current ??= await readRecord(table, observation.kind, observation.sid, signal);
      if (!current) {
        await table.submitTransaction(creation(newRecord(observation, now)), { abortSignal: signal });
        return;
      }
      const merged = merge(current.record, observation, now);
      if (merged) await table.submitTransaction(update(merged, current.etag), { abortSignal: signal });
      return;
    } catch (error) {
      const status = storageStatus(error);
      if ((status !== 409 && status !== 412) || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * Math.min(attempt, 10)));
      current = undefined;
    }
  }
}

function newRecord(observation: Observation, now: Date): CallOrMessage {
  const at = now.toISOString();
  return recordSchema.parse({
    ...observation,
    status: statusRank(observation.kind, observation.status) >= 0 ? observation.status : 'unknown',
    createdAt: at,
    updatedAt: at,
  });
}

/** The record with the observation applied, or undefined when it changes nothing. */
function merge(record: CallOrMessage, observation: Observation, now: Date): CallOrMessage | undefined {
  const next = mergeFacts(record, observation);
  if (advances(record.kind, record, observation)) next.status = observation.status;
  if (JSON.stringify(next) === JSON.stringify(record)) return undefined;
  return { ...next, updatedAt: now.toISOString() };
}

/** Adds the event unless one with its key exists; answers whether it was new. */
async function addEvent(
  table: TableClient,
  observation: Observation,
  now: Date,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await table.createEntity(eventEntity(observation, now.toISOString()), { abortSignal: signal });
    return true;
  } catch (error) {
    if (storageStatus(error) === 409) return false;
    throw error;
  }
}

/** One event of a SID by the key it was saved with (Observation.eventKey), or undefined. */
export async function findEvent(
  settings: Settings,
  kind: Kind,
  sid: string,
  eventKey: string,
  { signal = storageDeadline() }: { signal?: AbortSignal } = {},
): Promise<RecordEvent | undefined> {
  return withTables(settings, signal, ({ records }) => readEvent(records, kind, sid, eventKey, signal));
}

/** The record of one SID with its history in time order, or undefined when there is none of this kind. */
export async function findRecord(
  settings: Settings,
  kind: Kind,
  sid: string,
  { signal = storageDeadline() }: { signal?: AbortSignal } = {},
): Promise<FoundRecord | undefined> {
  return withTables(settings, signal, async ({ records }) => {
    const found = await readRecordWithEvents(records, kind, sid, signal);
    return (
      found && {
        ...found.record,
        events: inTimeOrder(kind, found.events),
        ...(found.state ? { flowState: flowStateFromEntity(found.state) } : {}),
      }
    );
  });
}

/** A record with its history, and what its flow remembers (a call's variables), if anything. */
export type FoundRecord = CallOrMessage & { events: RecordEvent[]; flowState?: FlowState };

/** The record as the API shows it: the flow's variables with secret ones masked, its internals left out. */
export function shownRecord({ flowState, ...record }: FoundRecord): CallOrMessage & {
  events: RecordEvent[];
  variables?: Record<string, unknown>;
} {
  return flowState && Object.keys(flowState.variables).length
    ? { ...record, variables: shownVariables(flowState) }
    : record;
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
    (later.sequence !== undefined && event.sequence !== undefined
      ? later.sequence > event.sequence
      : rank(later) > rank(event));
  const placed = events.map((event) => ({
    event,
    time: events.reduce(
      (earliest, other) => (comesAfter(other, event) && other.at < earliest ? other.at : earliest),
      event.at,
    ),
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

/** The record of one SID without its history (its status and error code), or undefined when there is none. */
export async function findRecordOnly(
  settings: Settings,
  kind: Kind,
  sid: string,
  { signal = storageDeadline() }: { signal?: AbortSignal } = {},
): Promise<CallOrMessage | undefined> {
  return withTables(settings, signal, async ({ records }) => (await readRecord(records, kind, sid, signal))?.record);
}
