import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { shortenDeadlinesForTests } from '../../../lib/config/deadlines';
import { QUEUES } from '../../../lib/config/queues';
import { queuedText } from '../../../lib/outbound/kinds';
import { encodeMessage, enqueue, enqueueTo, queueCounts, QueueUnavailableError } from '../../../lib/outbound/queue';
import { closedPort } from '../../support/ports';

/** An Azurite of this file's own: what it counts in the outbound queue is only what it put there. */
let azurite: RunningAzurite;
let settings: { AzureWebJobsStorage: string };
beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  settings = { AzureWebJobsStorage: azurite.connectionString };
});
afterAll(() => azurite?.stop());

const signal = () => AbortSignal.timeout(10_000);
const text = (key: string) =>
  queuedText(key, 'https://app.example.com', { to: '+15550100199', from: '+15005550006', body: 'hi' });
const read = async (queue: string) => {
  const client = new QueueClient(azurite.connectionString, queue, { allowInsecureConnection: true } as never);
  const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
  return receivedMessageItems.map((item) => JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')));
};

describe('the outbound queue (its own Azurite)', () => {
  it('holds none while its queues do not exist yet, then counts what waits', async () => {
    expect(await queueCounts(settings, signal())).toEqual({ queue: QUEUES.outbound, waiting: 0, poison: 0 });
    await enqueue(settings, [text('a')], signal());
    expect(await queueCounts(settings, signal())).toMatchObject({ waiting: 1, poison: 0 });
    await enqueue(settings, [text('b'), text('c')], signal());
    expect(await queueCounts(settings, signal())).toMatchObject({ waiting: 3, poison: 0 });
  });

  it('writes each message as base64 JSON, as the Functions host reads it, creating a missing queue', async () => {
    expect(encodeMessage({ a: 1 })).toBe(Buffer.from('{"a":1}').toString('base64'));
    await enqueueTo(settings, 'test-queue-created', [text('k1')], signal());
    expect(await read('test-queue-created')).toEqual([text('k1')]);
  });

  it('queues each message once when several find the queue missing at the same time', async () => {
    const keys = Array.from({ length: 24 }, (_, index) => `once-${index}`);
    await enqueueTo(settings, 'test-queue-once', keys.map(text), signal());
    const queued = [...(await read('test-queue-once')), ...(await read('test-queue-once'))];
    expect(queued.map((message: { key: string }) => message.key).sort()).toEqual([...keys].sort());
  });

  it('keeps a delayed message out of sight until its time', async () => {
    await enqueueTo(settings, 'test-queue-delayed', [text('later')], signal(), 60);
    expect(await read('test-queue-delayed')).toEqual([]);
  });

  it('says the queue is unavailable, safe to retry, when storage is out of reach', async () => {
    const restore = shortenDeadlinesForTests({ storageMs: 500 });
    const gone = azurite.connectionString.replace(
      /QueueEndpoint=http:\/\/[^/]+/,
      `QueueEndpoint=http://127.0.0.1:${await closedPort()}`,
    );
    try {
      const sent = enqueue({ AzureWebJobsStorage: gone }, [text('x')], AbortSignal.timeout(3_000));
      await expect(sent).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(sent).rejects.toMatchObject({ status: 503 });
    } finally {
      restore();
    }
  });
});
