/**
 * The outbound queue: what the app sends on its own is put here as part of answering a webhook,
 * and sent by the queue-triggered function (lib/outbound/sendQueued.ts). Reached like the tables:
 * a connection string locally (Azurite), the managed identity and `__queueServiceUri` in Azure.
 */
import type { QueueClient } from '@azure/storage-queue' with { 'resolution-mode': 'import' };
import type { Settings } from '../config/settings';
import { DEADLINES, isTimeout } from '../config/deadlines';
import { poisonQueue, QUEUES } from '../config/queues';
import { describeError, UnavailableError } from '../errors';
import { identityCredential, isLoopback, storageStatus } from '../records/tables';
import type { QueuedMessage } from './kinds';

type QueueSettings = Pick<
  Settings,
  | 'AzureWebJobsStorage'
  | 'AzureWebJobsStorage__queueServiceUri'
  | 'AzureWebJobsStorage__credential'
  | 'AzureWebJobsStorage__clientId'
>;

/** The queue could not be reached or did not answer in time: the webhook answers 503 so Twilio retries. */
export class QueueUnavailableError extends UnavailableError {
  constructor(cause: unknown, queue: string = QUEUES.outbound) {
    const why = isTimeout(cause) ? `no answer within ${DEADLINES.storageMs / 1000} s` : describeError(cause);
    super(`The queue ${queue} is unavailable: ${why}`, 'Sending is unavailable; try again later');
    this.name = 'QueueUnavailableError';
  }
}

const retryOptions = { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 500 };
const clients = new Map<string, Promise<(queue: string) => QueueClient>>();

function clientsFor(settings: QueueSettings): Promise<(queue: string) => QueueClient> {
  const key = JSON.stringify([
    settings.AzureWebJobsStorage,
    settings.AzureWebJobsStorage__queueServiceUri,
    settings.AzureWebJobsStorage__credential,
    settings.AzureWebJobsStorage__clientId,
  ]);
  let made = clients.get(key);
  if (!made) {
    made = makeClients(settings);
    made.catch(() => clients.delete(key));
    clients.set(key, made);
  }
  return made;
}

async function makeClients(settings: QueueSettings): Promise<(queue: string) => QueueClient> {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  const service = settings.AzureWebJobsStorage__queueServiceUri
    ? new QueueServiceClient(
        settings.AzureWebJobsStorage__queueServiceUri.replace(/\/+$/, ''),
        await identityCredential(settings),
        { retryOptions },
      )
    : QueueServiceClient.fromConnectionString(settings.AzureWebJobsStorage ?? '', {
        retryOptions,
        ...(isLoopback(settings.AzureWebJobsStorage ?? '', 'queue') ? { allowInsecureConnection: true } : {}),
      });
  return (queue) => service.getQueueClient(queue);
}

/** The Functions host reads queue messages as base64 (host.json messageEncoding), so they are written so. */
export const encodeMessage = (message: unknown): string => Buffer.from(JSON.stringify(message)).toString('base64');

/**
 * Puts messages on the outbound queue within `signal`'s deadline, `delaySeconds` before they
 * are visible. The queue is declared in Bicep; locally Azurite starts empty, so a missing queue
 * is created and the send tried again. Any failure is a QueueUnavailableError.
 */
export async function enqueue(
  settings: QueueSettings,
  messages: QueuedMessage[],
  signal: AbortSignal,
  delaySeconds = 0,
): Promise<void> {
  await enqueueTo(settings, QUEUES.outbound, messages, signal, delaySeconds);
}

/** As enqueue, to any queue of QUEUES (a campaign's recipients go to QUEUES.campaigns). */
export async function enqueueTo(
  settings: QueueSettings,
  queueName: string,
  messages: unknown[],
  signal: AbortSignal,
  delaySeconds = 0,
): Promise<void> {
  if (messages.length === 0) return;
  try {
    const queue = (await clientsFor(settings))(queueName);
    const send = (message: unknown) =>
      queue.sendMessage(encodeMessage(message), { abortSignal: signal, visibilityTimeout: delaySeconds });
    const sent = await Promise.allSettled(messages.map(send));
    const failed = sent.flatMap((outcome, index) => (outcome.status === 'rejected' ? [{ index, outcome }] : []));
    const other = failed.find(({ outcome }) => storageStatus(outcome.reason) !== 404);
    if (other) throw other.outcome.reason;
    if (failed.length === 0) return;
    // The queue does not exist yet: create it and send again only what it refused, so nothing is queued twice.
    await queue.createIfNotExists({ abortSignal: signal });
    await Promise.all(failed.map(({ index }) => send(messages[index])));
  } catch (error) {
    throw error instanceof QueueUnavailableError ? error : new QueueUnavailableError(error, queueName);
  }
}

export interface QueueCounts {
  queue: string;
  /** Messages waiting or being tried (approximate, as storage counts them). */
  waiting: number;
  /** Messages every try of which failed: they wait in `<queue>-poison` for an operator. */
  poison: number;
}

/** How many messages wait in a queue of QUEUES (default the outbound queue) and its poison queue; a queue that does not exist yet holds none. */
export async function queueCounts(
  settings: QueueSettings,
  signal: AbortSignal,
  queueName: string = QUEUES.outbound,
): Promise<QueueCounts> {
  const queue = await clientsFor(settings);
  const count = async (name: string) => {
    try {
      return (await queue(name).getProperties({ abortSignal: signal })).approximateMessagesCount ?? 0;
    } catch (error) {
      if (storageStatus(error) === 404) return 0;
      throw error;
    }
  };
  const [waiting, poison] = await Promise.all([count(queueName), count(poisonQueue(queueName))]);
  return { queue: queueName, waiting, poison };
}
