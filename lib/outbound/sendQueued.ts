/**
 * The queue-triggered sender: one message of the outbound queue, sent exactly once whatever
 * Twilio does. Its key claims an entity in the idempotency table (the create-once machinery of
 * POST /api/messages) before anything reaches Twilio:
 *
 * - Twilio unreachable, its 5xx or 429: nothing was sent; the key is released and the function
 *   throws, so the host makes the message visible again after host.json's visibilityTimeout
 *   and, after maxDequeueCount tries, moves it to `<queue>-poison`.
 * - Twilio refused it (another 4xx): retrying cannot help; recorded as failed on the key, logged
 *   as an error, not retried.
 * - Sent and no answer: the key says `unknown`; the next try looks at Twilio for what that try
 *   created before sending again.
 * - The recipient opted out (OptedOutError, before Twilio): recorded as refused (409) on the key
 *   and on the opt-out list, not retried.
 * - Another try holds the key: this message is put back to be looked at again later.
 */
import type { InvocationContext } from '@azure/functions';
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { DEADLINES, storageDeadline } from '../config/deadlines';
import { poisonQueue, QUEUE_OPTIONS, QUEUES } from '../config/queues';
import { getSettings, type Settings } from '../config/settings';
import { describeError } from '../errors';
import { withTables } from '../records/tables';
import { TwilioRefusedError } from '../twilio/client';
import { canonicalJson, claimKey, nothingHappened, sha256, type KeyEntity } from './idempotency';
import { OUTBOUND_KINDS, queuedMessage, type OutboundKind, type QueuedMessage } from './kinds';
import { OptedOutError } from './optOut';
import { enqueue } from './queue';
import { problem } from '../http/responses';
import type { Placed } from '../records/model';
import { recordCreated } from './rest';

const SCOPE = 'queued';
/** How far before an unanswered try's start Twilio's clock may be, when looking for what it created. */
const CLOCK_SKEW_MS = 60_000;

interface Send {
  settings: Settings;
  context: InvocationContext;
  message: QueuedMessage;
  kind: OutboundKind<unknown>;
  payload: unknown;
  keys: <T>(work: (table: TableClient, signal: AbortSignal) => Promise<T>) => Promise<T>;
  claim: KeyEntity;
  /** Puts the message back to be looked at again later (another try holds its key). */
  requeue: () => Promise<void>;
}

/** What became of one keyed send; a send that should be tried again throws instead. */
export type KeyedOutcome =
  | { state: 'sent'; placed: Placed }
  | { state: 'refused'; status: number; code?: number | undefined; message: string }
  | { state: 'held' }
  | { state: 'optedOut' };

/** The handler of functions/sendQueued.ts. */
export async function sendQueued(body: unknown, context: InvocationContext): Promise<void> {
  const send = prepare(body, context);
  if (!send) return;
  try {
    await sendOnce(send);
  } catch (error) {
    logFailure(send, error);
    throw error;
  }
}

/**
 * One message sent once by its key, as sendQueued does, for a sender with checks of its own
 * (a campaign's window, rate and opt-outs): what happened, or a throw when it should be tried
 * again. `requeue` puts the message back when another try holds the key.
 */
export async function sendKeyed(
  message: QueuedMessage,
  context: InvocationContext,
  requeue: () => Promise<void>,
): Promise<KeyedOutcome> {
  const send = prepare(message, context);
  if (!send) throw new Error(`Not an outbound message: ${message.key}`);
  return sendOnce({ ...send, requeue });
}

function logFailure({ context, kind, payload, message }: Send, error: unknown): void {
  const tries = Number(context.triggerMetadata?.dequeueCount ?? 0);
  const last = tries >= QUEUE_OPTIONS.maxDequeueCount;
  context.error(
    `Could not send the ${kind.describe(payload)} for ${message.key} (try ${tries} of ${QUEUE_OPTIONS.maxDequeueCount}): ${describeError(error)}; ${
      last ? `every try failed: it goes to the poison queue ${poisonQueue(QUEUES.outbound)}` : 'tried again later'
    }`,
  );
}

function prepare(body: unknown, context: InvocationContext): Send | undefined {
  const envelope = queuedMessage.safeParse(body);
  const kind = envelope.success ? (OUTBOUND_KINDS[envelope.data.kind] as OutboundKind<unknown>) : undefined;
  const payload = kind?.payload.safeParse(envelope.data?.payload);
  if (!envelope.success || !kind || !payload?.success) {
    // It can never be sent; throwing would only try it maxDequeueCount times on the way to the poison queue.
    context.error(`Dropped a queue message that is not an outbound message: ${JSON.stringify(body).slice(0, 300)}`);
    return undefined;
  }
  const settings = getSettings();
  return {
    settings,
    context,
    message: envelope.data as QueuedMessage,
    kind,
    payload: payload.data,
    keys: (work) => {
      const signal = storageDeadline();
      return withTables(settings, signal, (tables) => work(tables.idempotency, signal));
    },
    requeue: () =>
      enqueue(settings, [envelope.data as QueuedMessage], storageDeadline(), DEADLINES.queuedRecheckMs / 1000),
    claim: {
      partitionKey: `${SCOPE}|${sha256(envelope.data.key)}`,
      rowKey: '',
      state: 'in-flight',
      fingerprint: sha256(canonicalJson(payload.data)),
      startedAt: new Date().toISOString(),
    },
  };
}

async function sendOnce(send: Send): Promise<KeyedOutcome> {
  const { context, kind, payload, message, claim, keys } = send;
  const earlier = await keys((table, signal) => claimKey(table, claim, signal));
  if (earlier?.state === 'done') {
    context.log(`The ${kind.describe(payload)} for ${message.key} was already ${outcome(earlier)}; nothing more to do`);
    return doneOutcome(earlier);
  }
  if (earlier) {
    const held =
      earlier.state === 'in-flight' && Date.now() - Date.parse(earlier.startedAt) < DEADLINES.queuedInFlightMs;
    send.claim = { ...claim, firstTriedAt: earlier.firstTriedAt ?? earlier.startedAt };
    const taken = !held && (await keys((table, signal) => takeOver(table, earlier, send.claim, signal)));
    if (!taken) {
      await send.requeue();
      context.log(
        `The ${kind.describe(payload)} for ${message.key} is being sent by another try; looked at again later`,
      );
      return { state: 'held' };
    }
    const since = new Date(Date.parse(send.claim.firstTriedAt!) - CLOCK_SKEW_MS);
    const found = await kind.find(send.settings, payload, since).catch(async (error: unknown) => {
      await markUnknown(send);
      throw error;
    });
    if (found) return settleSent(send, found, 'found at Twilio, sent by a try that got no answer');
  }
  let placed: Placed;
  try {
    placed = await kind.send(send.settings, message.origin, payload, context);
  } catch (error) {
    if ((await settleFailure(send, error)) === 'final')
      return error instanceof OptedOutError ? { state: 'optedOut' } : refusedOutcome(error as TwilioRefusedError);
    throw error;
  }
  return settleSent(send, placed, 'sent');
}

const refusedOutcome = ({ rest }: TwilioRefusedError): KeyedOutcome => ({
  state: 'refused',
  status: rest.status,
  code: rest.code,
  message: rest.message,
});

/** What a key that is done says: the call or message sent, or Twilio's refusal. */
function doneOutcome(entity: KeyEntity): KeyedOutcome {
  const body = JSON.parse(entity.body ?? 'null') as Placed | { twilio?: TwilioRefusedError['rest'] } | null;
  if (entity.status === 201) return { state: 'sent', placed: body as Placed };
  if (entity.status === 409) return { state: 'optedOut' };
  const rest = (body as { twilio?: TwilioRefusedError['rest'] } | null)?.twilio;
  return { state: 'refused', status: entity.status ?? 400, code: rest?.code, message: rest?.message ?? '' };
}

/** Keeps what a failed try tells the key; `final` when trying again cannot help. */
async function settleFailure(send: Send, error: unknown): Promise<'final' | 'retry'> {
  const { claim, keys, context, kind, payload, message } = send;
  if (error instanceof OptedOutError) {
    const answer = problem(error.status, error.publicMessage, undefined, error.options.extra);
    await keys((table, signal) =>
      table.updateEntity(
        { ...claim, state: 'done', status: answer.status, body: JSON.stringify(answer.jsonBody) },
        'Replace',
        { abortSignal: signal },
      ),
    );
    context.warn(`The ${kind.describe(payload)} for ${message.key} was refused: ${error.publicMessage}; not sent`);
    return 'final';
  }
  if (nothingHappened(error) && claim.firstTriedAt === undefined) {
    await keys((table, signal) => table.deleteEntity(claim.partitionKey, claim.rowKey, { abortSignal: signal }));
    return 'retry';
  }
  if (error instanceof TwilioRefusedError) {
    const { status, code, message: why } = error.rest;
    await keys((table, signal) =>
      table.updateEntity({ ...claim, state: 'done', status, body: JSON.stringify({ twilio: error.rest }) }, 'Replace', {
        abortSignal: signal,
      }),
    );
    context.error(
      `The ${kind.describe(payload)} for ${message.key} failed: Twilio refused it (${status} code ${code ?? '-'}: ${why}); not tried again`,
    );
    return 'final';
  }
  await markUnknown(send);
  return 'retry';
}

/**
 * A try that may have reached Twilio ended without knowing (no answer, an error of our own, or
 * an earlier such try not yet cleared): the key says so, and the next try looks at Twilio first.
 * Best effort: a key left in flight is taken over after queuedInFlightMs all the same.
 */
async function markUnknown({ keys, claim }: Send): Promise<void> {
  await keys((table, signal) =>
    table.updateEntity({ ...claim, state: 'unknown', firstTriedAt: claim.firstTriedAt ?? claim.startedAt }, 'Replace', {
      abortSignal: signal,
    }),
  ).catch(() => {});
}

async function settleSent(send: Send, placed: Placed, how: string): Promise<KeyedOutcome> {
  const { claim, keys, context, kind, payload, message } = send;
  await keys((table, signal) =>
    table.updateEntity({ ...claim, state: 'done', status: 201, body: JSON.stringify(placed) }, 'Replace', {
      abortSignal: signal,
    }),
  );
  context.log(`The ${kind.describe(payload)} for ${message.key} was ${how}: ${placed.sid}`);
  await recordCreated(send.settings, context, kind.observation(placed, payload));
  return { state: 'sent', placed };
}

/** Takes the key from an earlier try that got no answer or died; false when another try just did. */
async function takeOver(
  table: TableClient,
  earlier: KeyEntity & { etag?: string },
  claim: KeyEntity,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await table.updateEntity(claim, 'Replace', { etag: earlier.etag ?? '*', abortSignal: signal });
    return true;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 412) return false;
    throw error;
  }
}

const outcome = (entity: KeyEntity) =>
  entity.status === 201
    ? 'sent'
    : entity.status === 409
      ? 'refused: the recipient opted out'
      : `refused by Twilio (${entity.status})`;
