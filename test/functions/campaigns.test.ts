/**
 * Campaigns over real HTTP through the local host, which runs the queue-triggered sendCampaign
 * from its registration, against an Azurite of this file's own and a fake Twilio that counts
 * every text; the campaign clock is the test's.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { campaignClock } from '../../lib/campaigns/clock';
import { MAX_ATTEMPTS } from '../../lib/campaigns/run';
import { QUEUES } from '../../lib/config/queues';
import { startAppHost, type AppHostWithQueues } from '../support/appHost';
import { api, finished, numbers, textsPerNumber, until } from '../support/campaigns';
import { startFakeTwilio } from '../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

let app: AppHostWithQueues;
let azurite: RunningAzurite;
let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
const settings = () => ({ AzureWebJobsStorage: azurite.connectionString, TWILIO_API_BASE_URL: fake.url });

beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  useSettings(settings());
  app = await startAppHost(() => {}, { queues: { maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 1 } });
});
afterAll(async () => {
  campaignClock.now = () => new Date();
  await app?.close();
  await fake?.close();
  await azurite?.stop();
});
beforeEach(() => {
  useSettings(settings());
  fake.received.length = 0;
  fake.messages.length = 0;
});

describe('POST /api/campaigns', () => {
  it('refuses bad input naming each bad field and each bad recipient by index, and stores nothing', async () => {
    const answer = await api(app.url, 'POST', 'campaigns', {
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

  it('answers a repeat with the same Idempotency-Key with the first campaign, made once', async () => {
    const body = { name: 'once', text: { body: 'Hi' }, rate: { textsPerSecond: 50 }, recipients: numbers(3) };
    const first = await api(app.url, 'POST', 'campaigns', body, { 'Idempotency-Key': 'campaign-once' });
    const again = await api(app.url, 'POST', 'campaigns', body, { 'Idempotency-Key': 'campaign-once' });
    expect(first.status).toBe(201);
    expect(again.body!.id).toBe(first.body!.id);
    await finished(app.url, first.body!.id as string, 20_000);
    expect(fake.messages).toHaveLength(3);
  });
});

describe('a recipient whose window is closed', () => {
  it('is texted when the window opens, by the campaign clock, never before', async () => {
    // Monday 7 December 2026, 08:59:30 in New York; the window opens at 09:00.
    let now = Date.parse('2026-12-07T13:59:30Z');
    campaignClock.now = () => new Date(now);
    campaignClock.maxWaitMs = 500;
    const created = await api(app.url, 'POST', 'campaigns', {
      name: 'window',
      text: { body: 'Good morning {{ variables.name }}' },
      rate: { textsPerSecond: 20 },
      window: { timeZone: 'America/New_York', weekly: { mon: ['09:00-17:00'] } },
      recipients: numbers(3, 15550300000),
    });
    expect(created.status).toBe(201);
    const id = created.body!.id as string;
    const waiting = await until(
      'all waiting for the window',
      async () => {
        const progress = await api(app.url, 'GET', `campaigns/${id}`);
        return progress.body!.counts.waitingForWindow === 3 ? progress.body : undefined;
      },
      20_000,
    );
    expect(waiting.done).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // several looks at the window, all closed
    expect(fake.messages).toHaveLength(0);

    now = Date.parse('2026-12-07T14:00:05Z');
    const progress = await finished(app.url, id, 20_000);
    expect(progress.counts).toMatchObject({ sent: 3, waitingForWindow: 0 });
    expect([...textsPerNumber(fake.messages).values()]).toEqual([1, 1, 1]);
    expect(fake.messages.map((message) => message.body).sort()).toEqual([
      'Good morning N0',
      'Good morning N1',
      'Good morning N2',
    ]);
  }, 60_000);
});

describe('cancel', () => {
  it('stops what has not been sent: those recipients are canceled and never texted', async () => {
    const created = await api(app.url, 'POST', 'campaigns', {
      name: 'later',
      text: { body: 'Later' },
      startAt: new Date(Date.now() + 60 * 60 * 1000).toISOString(),
      recipients: numbers(5, 15550400000),
    });
    const id = created.body!.id as string;
    const canceled = await api(app.url, 'POST', `campaigns/${id}/cancel`);
    expect(canceled.status).toBe(200);
    const progress = await api(app.url, 'GET', `campaigns/${id}`);
    expect(progress.body!.counts).toMatchObject({ canceled: 5, waiting: 0 });
    const page = await api(app.url, 'GET', `campaigns/${id}/recipients?limit=2`);
    expect(page.body!.items).toHaveLength(2);
    expect(page.body!.items[0].state).toBe('canceled');
    const next = await api(app.url, 'GET', `campaigns/${id}/recipients?limit=5&cursor=${page.body!.nextCursor}`);
    expect(next.body!.items.map((item: { index: number }) => item.index)).toEqual([2, 3, 4]);
    expect(next.body!.nextCursor).toBeNull();
    expect(fake.messages).toHaveLength(0);
  });
});

describe('a recipient Twilio answers 429 to every try', () => {
  it('is failed after every try, its message in the campaign poison queue, counted by /api/health', async () => {
    campaignClock.maxWaitMs = 200; // each backoff shortened to the queue's least delay, 1 s
    for (let n = 0; n < MAX_ATTEMPTS; n++) fake.failNext({ status: 429, code: 20429, message: 'Too Many Requests' });
    const created = await api(app.url, 'POST', 'campaigns', {
      name: 'poison',
      text: { body: 'Never' },
      rate: { textsPerSecond: 50 },
      recipients: numbers(1, 15550500000),
    });
    const progress = await finished(app.url, created.body!.id as string, 40_000);
    expect(progress.counts).toMatchObject({ failed: 1, sent: 0 });
    expect(fake.received.filter((request) => request.method === 'POST')).toHaveLength(MAX_ATTEMPTS);
    const health = await api(app.url, 'GET', 'health');
    expect(health.body!.campaigns).toMatchObject({ queue: QUEUES.campaigns, poison: 1 });
  }, 60_000);
});

/** An HTTP proxy to Azurite's queue service that passes `passes` enqueues (and the polls until then), then drops every request until `thaw`. */
async function freezingQueue(passes: number) {
  const queueUrl = /QueueEndpoint=(http:\/\/[^/;]+)/.exec(azurite.connectionString)![1]!;
  let seen = 0;
  let frozen = false;
  const server = createServer((req, res) => {
    if (req.method === 'POST') seen++;
    if (frozen || seen > passes) {
      frozen = true;
      return req.socket.destroy();
    }
    const upstream = httpRequest(`${queueUrl}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: azurite.connectionString.replace(
      /QueueEndpoint=http:\/\/[^/]+/,
      `QueueEndpoint=http://127.0.0.1:${port}`,
    ),
    thaw: () => {
      frozen = false;
      seen = -Infinity;
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

describe('a campaign whose queue freezes while it is created', () => {
  it('is not there and sends nothing; the retry with the same Idempotency-Key creates it whole, each texted once', async () => {
    const queue = await freezingQueue(20);
    useSettings({ ...settings(), AzureWebJobsStorage: queue.connectionString });
    const body = { name: 'frozen', text: { body: 'Hi {{ variables.name }}' }, rate: { textsPerSecond: 50 } };
    const request = { ...body, recipients: numbers(60, 15550600000) };
    const headers = { 'Idempotency-Key': 'campaign-frozen' };
    try {
      const failed = await api(app.url, 'POST', 'campaigns', request, headers);
      expect(failed.status).toBe(503);
      queue.thaw();
      // The 20 recipients queued before the freeze belong to no campaign: they wait, and nothing is sent.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(fake.messages).toHaveLength(0);

      const retried = await api(app.url, 'POST', 'campaigns', request, headers);
      expect(retried.status).toBe(201);
      const progress = await finished(app.url, retried.body!.id as string, 30_000);
      expect(progress.counts).toMatchObject({ sent: 60, waiting: 0 });
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // the first try's messages looked at again
      const perNumber = textsPerNumber(fake.messages);
      expect(perNumber.size).toBe(60);
      expect([...perNumber.values()].every((texts) => texts === 1)).toBe(true);
    } finally {
      useSettings(settings());
      await queue.close();
    }
  }, 60_000);
});
