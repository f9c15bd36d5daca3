/**
 * The local host's queue and timer triggers, from registrations made with @azure/functions
 * as a function file makes them, against an Azurite of this file's own.
 */
import { app, type InvocationContext } from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { registeredTriggers } from '../../dev/functionsHost';
import { queueOptions, startQueueHost, timeSpanMs, type RunningQueueHost } from '../../dev/queueHost';
import { startTimerHost } from '../../dev/timerHost';
import { ROOT } from '../support/appHost';

const QUEUE = 'local-host-test';
const seen: Array<{ message: unknown; dequeueCount: unknown }> = [];
app.storageQueue('queueHostProbe', {
  queueName: QUEUE,
  connection: 'QUEUE_HOST_TEST_STORAGE',
  handler: (message: unknown, context: InvocationContext) => {
    seen.push({ message, dequeueCount: context.triggerMetadata?.dequeueCount });
    if (message === 'fail') throw new Error('failing on purpose');
  },
});
let ticks = 0;
app.timer('timerHostProbe', { schedule: '*/1 * * * * *', handler: () => void ticks++ });

let azurite: RunningAzurite;
let host: RunningQueueHost;
const log: string[] = [];

beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  host = startQueueHost({
    functions: registeredTriggers().queues.filter((fn) => fn.queueName === QUEUE),
    options: { ...queueOptions(ROOT), maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 0, maxDequeueCount: 3 },
    log: (level, name, message) => log.push(`${level} ${name}: ${message}`),
    env: () => ({ QUEUE_HOST_TEST_STORAGE: azurite.connectionString }),
  });
});
afterAll(async () => {
  await host?.close();
  await azurite?.stop();
});

const queue = (name = QUEUE) => QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(name);
const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('host.json durations and options', () => {
  it('reads TimeSpans as the host does, and the app’s queue options', () => {
    expect(timeSpanMs('00:00:30')).toBe(30_000);
    expect(timeSpanMs('1.02:00:00.5')).toBe(26 * 3_600_000 + 500);
    expect(() => timeSpanMs('30s')).toThrow(/not a duration/);
    expect(queueOptions(ROOT)).toEqual({
      maxPollingIntervalMs: 2_000,
      visibilityTimeoutSeconds: 30,
      batchSize: 16,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
    });
  });
});

describe('a queue trigger on the local host', () => {
  it('hands the function a base64 JSON message parsed, with its dequeue count, and deletes it', async () => {
    await queue().createIfNotExists();
    await queue().sendMessage(base64(JSON.stringify({ hello: 'world' })));
    await host.idle(20_000);
    expect(seen).toContainEqual({ message: { hello: 'world' }, dequeueCount: 1 });
  });

  it('tries a failing message maxDequeueCount times, then moves it unchanged to <queue>-poison and logs an error', async () => {
    seen.length = 0;
    await queue().sendMessage(base64('fail'));
    await host.idle(20_000);
    expect(seen.map((entry) => entry.dequeueCount)).toEqual([1, 2, 3]);
    const poisoned = await queue(`${QUEUE}-poison`).receiveMessages();
    expect(poisoned.receivedMessageItems.map((item) => item.messageText)).toEqual([base64('fail')]);
    expect(log.join('\n')).toMatch(/error queueHostProbe: .* failed 3 times .* poison queue local-host-test-poison/);
  });
});

describe('a timer trigger on the local host', () => {
  it('runs on its NCRONTAB schedule (seconds first)', async () => {
    const timers = startTimerHost({
      functions: registeredTriggers().timers.filter((fn) => fn.name === 'timerHostProbe'),
      log: () => {},
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(ticks).toBeGreaterThanOrEqual(2);
    } finally {
      timers.close();
    }
  });
});
