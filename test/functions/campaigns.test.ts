/**
 * Campaigns end to end: over real HTTP through the local host, an Azurite of this file's own
 * (tables and queues), several queue workers running the queue-triggered sendCampaign, and a
 * fake Twilio that counts every text and answers 429 to one request in ten.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { registeredTriggers } from '../../dev/functionsHost';
import { queueOptions, startQueueHost, type RunningQueueHost } from '../../dev/queueHost';
import { campaignClock } from '../../lib/campaigns/clock';
import { ROOT, startAppHost, type AppHostWithQueues } from '../support/appHost';
import { startFakeTwilio } from '../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

let app: AppHostWithQueues;
let azurite: RunningAzurite;
let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
const workers: RunningQueueHost[] = [];
const hostLog: string[] = [];
const QUEUE_TEST_OPTIONS = { maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 1 };

const settings = () => ({ AzureWebJobsStorage: azurite.connectionString, TWILIO_API_BASE_URL: fake.url });

beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  useSettings(settings());
  app = await startAppHost((level, name, message) => hostLog.push(`${level} ${name}: ${message}`), {
    queues: QUEUE_TEST_OPTIONS,
  });
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await app?.close();
  await fake?.close();
  await azurite?.stop();
});
beforeEach(() => {
  useSettings(settings());
  fake.failEvery(0, { status: 429, code: 20429, message: 'Too Many Requests' });
  fake.received.length = 0;
  fake.messages.length = 0;
  hostLog.length = 0;
  campaignClock.now = () => new Date();
  campaignClock.maxWaitMs = 60 * 60 * 1000;
});

/** More queue workers, as more instances of the app would be: the same registrations, the same host.json. */
function addWorkers(count: number): void {
  for (let n = 0; n < count; n++)
    workers.push(
      startQueueHost({
        functions: registeredTriggers().queues.filter((fn) => fn.name === 'sendCampaign'),
        options: { ...queueOptions(ROOT), ...QUEUE_TEST_OPTIONS },
        log: (level, name, message) => hostLog.push(`${level} ${name}: ${message}`),
      }),
    );
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.url}/api/${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

const numbers = (count: number, base = 15550200000) =>
  Array.from({ length: count }, (_, n) => ({ to: `+${base + n}`, variables: { name: `N${n}` } }));

async function until<T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, process.env.CAMPAIGN_DEBUG ? 3000 : 250));
  }
}

const finished = (id: string, ms: number) =>
  until(
    `campaign ${id} done`,
    async () => {
      const progress = await api('GET', `campaigns/${id}`);
      if (process.env.CAMPAIGN_DEBUG)
        console.log(
          progress.status,
          JSON.stringify(progress.body?.counts ?? progress.body),
          fake.messages.length,
          hostLog.filter((l) => !l.startsWith('information')).slice(-3),
        );
      return progress.body?.done ? progress.body : undefined;
    },
    ms,
  );

describe('POST /api/campaigns', () => {
  it('refuses bad input naming each bad field and each bad recipient by index, and stores nothing', async () => {
    const answer = await api('POST', 'campaigns', {
      name: '',
      text: { body: 'Hi {{ variables.name }}' },
      rate: { textsPerSecond: 0 },
      window: { timeZone: 'Mars/Olympus', weekly: {} },
      recipients: [{ to: '+15550100001', variables: { name: 'A' } }, { to: '555' }, { to: '+15550100003' }],
    });
    expect(answer.status).toBe(400);
    const fields = (answer.body!.problems as Array<{ field: string }>).map((problem) => problem.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'name',
        'rate.textsPerSecond',
        'window.timeZone',
        'recipients.1.to',
        'recipients.2.variables.name',
      ]),
    );
    expect(fields).not.toContain('recipients.0.to');
    expect(fake.received).toHaveLength(0);
  });
});

describe('a campaign of 2,000 texts', () => {
  it('texts each recipient exactly once at the configured rate, though Twilio answers 429 to one request in ten', async () => {
    addWorkers(2);
    fake.failEvery(10, { status: 429, code: 20429, message: 'Too Many Requests' });
    const rate = 100;
    const created = await api(
      'POST',
      'campaigns',
      {
        name: 'load',
        text: { body: 'Hello {{ variables.name }}' },
        rate: { textsPerSecond: rate },
        recipients: numbers(Number(process.env.CAMPAIGN_COUNT ?? 2000)),
      },
      { 'Idempotency-Key': 'load-1' },
    );
    expect(created.status).toBe(201);
    const progress = await finished(created.body!.id as string, 120_000);
    console.log(JSON.stringify(progress, null, 2));
    const perRecipient = new Map<string, number>();
    for (const message of fake.messages) perRecipient.set(message.to, (perRecipient.get(message.to) ?? 0) + 1);
    expect(perRecipient.size).toBe(2000);
    expect([...perRecipient.values()].every((count) => count === 1)).toBe(true);
    expect(fake.messages.find((message) => message.to === '+15550200007')?.body).toBe('Hello N7');
    expect(fake.received.filter((request) => request.method === 'POST').length).toBeGreaterThan(2000);
    expect(progress.counts).toMatchObject({ sent: 2000, failed: 0, waiting: 0, waitingForWindow: 0 });
    const achieved = progress.achieved.textsPerSecond as number;
    expect(Math.abs(achieved - rate) / rate).toBeLessThan(0.1);
  }, 180_000);
});
