/**
 * Queue-triggered functions run locally as the Functions host runs them, from the same
 * registrations (`app.storageQueue`) and host.json's `extensions.queues`: each queue is polled
 * (at once while it has messages, backing off to maxPollingInterval when empty); a message is
 * leased while its function runs, deleted when it succeeds, made visible again after
 * visibilityTimeout when it fails, and moved as it is to `<queue>-poison` once it has been
 * tried maxDequeueCount times. Messages are base64 by default (messageEncoding), and a JSON
 * message reaches the function parsed, with its id and dequeueCount in triggerMetadata.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { QueueServiceClient, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import type { LogLine } from './logLine';

export interface QueueFunction {
  name: string;
  queueName: string;
  /** The app setting that holds the storage connection string. */
  connection: string;
  handler: (message: unknown, context: InvocationContext) => unknown;
}

/** host.json's extensions.queues, in the units this host uses. */
export interface QueueOptions {
  maxPollingIntervalMs: number;
  visibilityTimeoutSeconds: number;
  batchSize: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
  /** How long a message is hidden while its function runs; default the Functions host's 10 minutes (tests that kill a host shorten it). */
  leaseSeconds?: number;
}

/** The Functions host's defaults for what host.json does not say. */
const DEFAULTS: QueueOptions = {
  maxPollingIntervalMs: 60_000,
  visibilityTimeoutSeconds: 0,
  batchSize: 16,
  maxDequeueCount: 5,
  messageEncoding: 'base64',
};
/** How long a message is hidden while its function runs (the Functions host's lease). */
const LEASE_SECONDS = 10 * 60;
const FIRST_POLL_MS = 100;
/** A poll that fails is tried again at the next poll: the SDK's own retries (up to a minute) would stall the loop. */
const retryOptions = { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 };

/** `hh:mm:ss` (a .NET TimeSpan, as host.json writes durations) in milliseconds. */
export function timeSpanMs(value: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(value);
  if (!match) throw new Error(`host.json: "${value}" is not a duration (hh:mm:ss)`);
  const [, days = '0', hours, minutes, seconds, fraction = '0'] = match;
  return (
    ((Number(days) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000 +
    Number(fraction.padEnd(3, '0'))
  );
}

/** The queue options of the app's host.json. */
export function queueOptions(root: string): QueueOptions {
  const host = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as {
    extensions?: { queues?: Record<string, string | number | undefined> };
  };
  const queues = host.extensions?.queues ?? {};
  const span = (name: string) => (typeof queues[name] === 'string' ? timeSpanMs(queues[name]) : undefined);
  return {
    maxPollingIntervalMs: span('maxPollingInterval') ?? DEFAULTS.maxPollingIntervalMs,
    visibilityTimeoutSeconds: Math.round((span('visibilityTimeout') ?? 0) / 1000),
    batchSize: Number(queues.batchSize ?? DEFAULTS.batchSize),
    maxDequeueCount: Number(queues.maxDequeueCount ?? DEFAULTS.maxDequeueCount),
    messageEncoding: queues.messageEncoding === 'none' ? 'none' : 'base64',
  };
}

export interface QueueHostOptions {
  functions: QueueFunction[];
  options: QueueOptions;
  log: LogLine;
  /** Where connection settings are read, at every poll (tests change them); default process.env. */
  env?: () => Record<string, string | undefined>;
}

export interface RunningQueueHost {
  /** Resolves when every queue is empty (invisible messages included) and no function runs. */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startQueueHost({
  functions,
  options,
  log,
  env = () => process.env,
}: QueueHostOptions): RunningQueueHost {
  let stopped = false;
  let running = 0;
  const clients = new Map<string, QueueServiceClient>();
  const queueOf = (fn: QueueFunction, name = fn.queueName): QueueClient => {
    const connection = env()[fn.connection];
    if (!connection)
      throw new Error(`${fn.name}: the setting ${fn.connection} (a storage connection string) is not set`);
    let service = clients.get(connection);
    if (!service)
      clients.set(connection, (service = QueueServiceClient.fromConnectionString(connection, { retryOptions })));
    return service.getQueueClient(name);
  };
  const run = async (fn: QueueFunction, item: DequeuedMessageItem) => {
    running++;
    try {
      await runOne(fn, item, queueOf, options, log);
    } finally {
      running--;
    }
  };
  const loops = functions.map(async (fn) => {
    let wait = FIRST_POLL_MS;
    while (!stopped) {
      let received = 0;
      try {
        const batch = await queueOf(fn).receiveMessages({
          numberOfMessages: Math.min(32, options.batchSize),
          visibilityTimeout: options.leaseSeconds ?? LEASE_SECONDS,
        });
        received = batch.receivedMessageItems.length;
        await Promise.all(batch.receivedMessageItems.map((item) => run(fn, item)));
      } catch (error) {
        if ((error as { statusCode?: unknown }).statusCode !== 404)
          log('warning', fn.name, `Polling failed: ${String(error)}`);
      }
      wait = received > 0 ? 0 : Math.min(Math.max(wait * 2, FIRST_POLL_MS), options.maxPollingIntervalMs);
      await sleep(wait);
    }
  });
  return {
    async idle(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const counts = await Promise.all(functions.map((fn) => messageCount(queueOf(fn))));
        if (running === 0 && counts.every((count) => count === 0)) return;
        if (Date.now() > deadline) throw new Error(`The queues were not idle within ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    async close() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function messageCount(queue: QueueClient): Promise<number> {
  try {
    return (await queue.getProperties()).approximateMessagesCount ?? 0;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return 0;
    throw error;
  }
}

/** One message: its function runs; then deleted, released for a later try, or moved to the poison queue. */
async function runOne(
  fn: QueueFunction,
  item: DequeuedMessageItem,
  queueOf: (fn: QueueFunction, name?: string) => QueueClient,
  options: QueueOptions,
  log: LogLine,
): Promise<void> {
  const queue = queueOf(fn);
  if (item.dequeueCount > options.maxDequeueCount) return poison(fn, item, queueOf, log);
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: fn.name,
    logHandler: (level, ...args) => log(level, fn.name, args.map(String).join(' ')),
    triggerMetadata: {
      id: item.messageId,
      dequeueCount: item.dequeueCount,
      insertionTime: item.insertedOn.toISOString(),
      expirationTime: item.expiresOn.toISOString(),
      nextVisibleTime: item.nextVisibleOn.toISOString(),
      popReceipt: item.popReceipt,
    },
  });
  try {
    await fn.handler(decode(item.messageText, options.messageEncoding), context);
  } catch (error) {
    log(
      'warning',
      fn.name,
      `Executed (failed, try ${item.dequeueCount}): ${error instanceof Error ? error.message : String(error)}`,
    );
    if (item.dequeueCount >= options.maxDequeueCount) return poison(fn, item, queueOf, log);
    await queue.updateMessage(item.messageId, item.popReceipt, undefined, options.visibilityTimeoutSeconds);
    return;
  }
  await queue.deleteMessage(item.messageId, item.popReceipt);
}

/** As the Functions host does: the message, unchanged, to `<queue>-poison`, and an error in the log. */
async function poison(
  fn: QueueFunction,
  item: DequeuedMessageItem,
  queueOf: (fn: QueueFunction, name?: string) => QueueClient,
  log: LogLine,
): Promise<void> {
  const target = queueOf(fn, `${fn.queueName}-poison`);
  await target.createIfNotExists();
  await target.sendMessage(item.messageText);
  await queueOf(fn).deleteMessage(item.messageId, item.popReceipt);
  log(
    'error',
    fn.name,
    `Message ${item.messageId} of ${fn.queueName} failed ${item.dequeueCount} times (maxDequeueCount): moved to the poison queue ${target.name}`,
  );
}

/** What the function gets: base64 decoded (unless messageEncoding is none), then parsed when it is JSON. */
function decode(text: string, encoding: QueueOptions['messageEncoding']): unknown {
  const plain = encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
  try {
    return JSON.parse(plain);
  } catch {
    return plain;
  }
}
