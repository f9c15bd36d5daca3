/**
 * 2,000 texts while a fake Twilio answers 429 to one request in ten, with several queue
 * workers (as several instances would run): each recipient texted exactly once, counted at the
 * fake, at the configured rate within 10%. The rate is what this machine sustains with every
 * part local (CAMPAIGN_RATE, default 6 texts/s); docs/capacity.md has the figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { registeredTriggers } from '../../dev/functionsHost';
import { queueOptions, startQueueHost, type RunningQueueHost } from '../../dev/queueHost';
import { ROOT, startAppHost, type AppHostWithQueues } from '../support/appHost';
import { api, finished, numbers, textsPerNumber, until } from '../support/campaigns';
import { startFakeTwilio } from '../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

const COUNT = Number(process.env.CAMPAIGN_COUNT ?? 2000);
const RATE = Number(process.env.CAMPAIGN_RATE ?? 6);
const QUEUE_TEST_OPTIONS = { maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 1 };

let app: AppHostWithQueues;
let azurite: RunningAzurite;
let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
const workers: RunningQueueHost[] = [];

beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  useSettings({ AzureWebJobsStorage: azurite.connectionString, TWILIO_API_BASE_URL: fake.url });
  app = await startAppHost(() => {}, { queues: QUEUE_TEST_OPTIONS });
  // Two more workers on the campaigns queue: three pollers, each taking host.json's batchSize at a time.
  for (let n = 0; n < 2; n++)
    workers.push(
      startQueueHost({
        functions: registeredTriggers().queues.filter((fn) => fn.name === 'sendCampaign'),
        options: { ...queueOptions(ROOT), ...QUEUE_TEST_OPTIONS },
        log: () => {},
      }),
    );
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await app?.close();
  await fake?.close();
  await azurite?.stop();
});

// Minutes at the configured rate: run on demand (CAMPAIGN_LOAD=1), as the listing load test is.
// On this 2-core machine the achieved rate stayed about 10% under 6 texts/s (docs/capacity.md).
describe.runIf(process.env.CAMPAIGN_LOAD)(`a campaign of ${COUNT} texts at ${RATE} texts/s`, () => {
  it('texts each recipient exactly once at the configured rate, though Twilio answers 429 to one request in ten', async () => {
    fake.failEvery(10, { status: 429, code: 20429, message: 'Too Many Requests' });
    const created = await api(app.url, 'POST', 'campaigns', {
      name: 'load',
      text: { body: 'Hello {{ variables.name }}' },
      rate: { textsPerSecond: RATE },
      recipients: numbers(COUNT),
    });
    expect(created.status).toBe(201);
    const started = Date.now();
    // Counted at the fake while it runs; the progress (which lists every recipient) read once at the end.
    await until(
      'every text at the fake',
      async () => (fake.messages.length >= COUNT ? true : undefined),
      (COUNT / RATE) * 1000 * 1.5 + 30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${fake.messages.length} sent in ${(Date.now() - started) / 1000} s`);
    });
    const progress = await finished(app.url, created.body!.id as string, 30_000);
    console.log(`${COUNT} texts in ${(Date.now() - started) / 1000} s:\n${JSON.stringify(progress, null, 2)}`);
    const perNumber = textsPerNumber(fake.messages);
    expect(perNumber.size).toBe(COUNT);
    expect([...perNumber.values()].every((count) => count === 1)).toBe(true);
    expect(fake.messages.find((message) => message.to === '+15550200007')?.body).toBe('Hello N7');
    const posts = fake.received.filter((request) => request.method === 'POST').length;
    expect(posts).toBeGreaterThan(COUNT); // the 429s were tried again
    expect(progress.counts).toMatchObject({ sent: COUNT, failed: 0, waiting: 0, waitingForWindow: 0, optedOut: 0 });
    expect(Math.abs(progress.achieved.textsPerSecond - RATE) / RATE).toBeLessThan(0.1);
  }, 600_000);
});
