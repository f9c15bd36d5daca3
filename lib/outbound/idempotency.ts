/**
 * Idempotency keys for POST /api/calls and /api/messages: a client that did not hear our
 * answer retries with the same `Idempotency-Key` and never reaches Twilio twice.
 *
 * One entity per key (PartitionKey `<scope>|<sha256 of the key>`, so any key is storable):
 * `in-flight` while the first request works, then `done` with the answer it got. Creating the
 * entity is the lock: of concurrent requests with one key exactly one creates it.
 */
import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import type { Settings } from '../config/settings';
import { DEADLINES, storageDeadline } from '../config/deadlines';
import { AppError, BadRequestError, NothingDoneError } from '../errors';
import { errorResponse } from '../http/handle';
import { storageStatus, withTables } from '../records/tables';
import { TwilioRefusedError, TwilioUnreachableError } from '../twilio/client';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const MAX_KEY_LENGTH = 255;
/** After this a key is forgotten and may be used again. */
export const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** A first attempt still in flight after this died on the way (its instance stopped): nobody knows what it did. */
const IN_FLIGHT_LIMIT_MS = 2 * DEADLINES.storageMs + DEADLINES.twilioRequestMs + 30_000;

export interface KeyEntity {
  partitionKey: string;
  rowKey: string;
  /** `unknown` (queued sends only): a try was sent and got no answer; the next one looks at Twilio first. */
  state: 'in-flight' | 'done' | 'unknown';
  fingerprint: string;
  startedAt: string;
  /** Queued sends: when the first try that may have reached Twilio started (what a later try looks for). */
  firstTriedAt?: string;
  status?: number;
  body?: string;
}

/**
 * Runs `work` once per idempotency key (when the request has one) and answers every repeat
 * with the first answer. What `work` throws becomes its answer here, through the one error
 * mapping, so that it can be stored: a request that failed before Twilio acted (not reached,
 * Twilio's 5xx or 429) forgets the key, so the retry does the work; every other answer, the
 * 504 "outcome unknown" included, is replayed and never sent to Twilio again.
 */
export async function once(
  settings: Settings,
  context: InvocationContext,
  request: HttpRequest,
  scope: string,
  body: unknown,
  work: () => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  const key = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  if (key === null) return work();
  if (key.length < 1 || key.length > MAX_KEY_LENGTH) {
    throw new BadRequestError(400, `Invalid ${IDEMPOTENCY_KEY_HEADER}`, [
      { field: IDEMPOTENCY_KEY_HEADER, message: `must be 1 to ${MAX_KEY_LENGTH} characters` },
    ]);
  }
  const keys = <T>(work: (table: TableClient, signal: AbortSignal) => Promise<T>): Promise<T> => {
    const signal = storageDeadline();
    return withTables(settings, signal, (tables) => work(tables.idempotency, signal));
  };
  const claim: KeyEntity = {
    partitionKey: `${scope}|${sha256(key)}`,
    rowKey: '',
    state: 'in-flight',
    fingerprint: sha256(canonicalJson(body)),
    startedAt: new Date().toISOString(),
  };
  const earlier = await keys((table, signal) => claimKey(table, claim, signal));
  if (earlier) return answerRepeat(earlier, claim);

  let response: HttpResponseInit;
  try {
    response = await work();
  } catch (error) {
    response = errorResponse(error, context);
    if (nothingHappened(error)) {
      // Best effort: a key left behind answers 409, then 504 after IN_FLIGHT_LIMIT_MS; never a second call.
      await keys((table, signal) =>
        table.deleteEntity(claim.partitionKey, claim.rowKey, { abortSignal: signal }),
      ).catch(() => {});
      return response;
    }
  }
  const done: KeyEntity = {
    ...claim,
    state: 'done',
    status: response.status ?? 200,
    body: JSON.stringify(response.jsonBody ?? null),
  };
  await keys((table, signal) => table.updateEntity(done, 'Replace', { abortSignal: signal })).catch(
    (error: unknown) => {
      context.warn(
        `Could not store the answer for an idempotency key (${error instanceof Error ? error.message : String(error)}); a repeat will be told it is still in progress`,
      );
    },
  );
  return response;
}

/** Creates the key's entity (the lock), or answers the earlier one that holds it (with its etag). */
export async function claimKey(
  table: TableClient,
  claim: KeyEntity,
  signal: AbortSignal,
): Promise<(KeyEntity & { etag?: string }) | undefined> {
  try {
    await table.createEntity(claim, { abortSignal: signal });
    return undefined;
  } catch (error) {
    if (storageStatus(error) !== 409) throw error;
  }
  const earlier = await table.getEntity<KeyEntity>(claim.partitionKey, claim.rowKey, { abortSignal: signal });
  if (Date.now() - Date.parse(earlier.startedAt) < KEY_LIFETIME_MS) return earlier;
  // Expired: take the key over, unless another request just did (412).
  try {
    await table.updateEntity(claim, 'Replace', { etag: earlier.etag, abortSignal: signal });
    return undefined;
  } catch (error) {
    if (storageStatus(error) !== 412) throw error;
    return { ...claim, startedAt: new Date().toISOString() };
  }
}

/** What a request whose key was claimed before gets: the first answer again, or why it cannot have one yet. */
export function answerRepeat(earlier: KeyEntity, claim: KeyEntity): HttpResponseInit {
  if (earlier.fingerprint !== claim.fingerprint) {
    throw new AppError(422, `This ${IDEMPOTENCY_KEY_HEADER} was used with a different body`, {
      problems: [
        {
          field: IDEMPOTENCY_KEY_HEADER,
          message: 'was already used with a different body; use a new key for a new request',
        },
      ],
    });
  }
  if (earlier.state === 'done' && earlier.status !== undefined) {
    return {
      status: earlier.status,
      body: earlier.body ?? 'null',
      headers: { 'Content-Type': 'application/json; charset=utf-8', [REPLAYED_HEADER]: 'true' },
    };
  }
  if (Date.now() - Date.parse(earlier.startedAt) > IN_FLIGHT_LIMIT_MS) {
    throw new AppError(504, 'The first request with this key never finished: the outcome is unknown', {
      extra: { outcome: 'unknown', hint: 'Look the call or message up before trying again with a new key.' },
    });
  }
  throw new AppError(
    409,
    `A request with this ${IDEMPOTENCY_KEY_HEADER} is still in progress; try again in a few seconds`,
  );
}

/** Failures that leave Twilio (and everything else) untouched: forgetting the key lets the retry do the work. */
export const nothingHappened = (error: unknown): boolean =>
  error instanceof NothingDoneError ||
  error instanceof TwilioUnreachableError ||
  (error instanceof TwilioRefusedError && (error.rest.status >= 500 || error.rest.status === 429));

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so the same body in another key order is the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Deletes the keys claimed more than KEY_LIFETIME_MS before `now` (the cleanup timer): a key is
 * forgotten after 24 h whether or not it comes back. Each key is a partition of its own, so each
 * deletion is one operation, made one after another.
 */
export async function expireKeys(settings: Settings, now: Date, signal: AbortSignal): Promise<number> {
  const cutoff = new Date(now.getTime() - KEY_LIFETIME_MS).toISOString();
  return withTables(settings, signal, async ({ idempotency }) => {
    const { odata } = await import('@azure/data-tables');
    const expired: Array<{ partitionKey: string; rowKey: string }> = [];
    for await (const key of idempotency.listEntities({
      queryOptions: { filter: odata`startedAt lt ${cutoff}`, select: ['PartitionKey', 'RowKey'] },
      abortSignal: signal,
    }))
      expired.push({ partitionKey: key.partitionKey!, rowKey: key.rowKey! });
    let deleted = 0;
    for (const { partitionKey, rowKey } of expired) {
      try {
        await idempotency.deleteEntity(partitionKey, rowKey, { abortSignal: signal });
        deleted += 1;
      } catch (error) {
        if (storageStatus(error) !== 404) throw error;
      }
    }
    return deleted;
  });
}
