/**
 * Killing the worker in the middle of a campaign and starting another: nothing is lost and
 * nothing is sent twice. The queue worker runs in a process of its own (killed with SIGKILL,
 * mid-send), the HTTP functions in this one, against an Azurite of this file's own.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { startAppHost } from '../support/appHost';
import { api, finished, numbers, startWorker, textsPerNumber, until } from '../support/campaigns';
import { startFakeTwilio } from '../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

let app: Awaited<ReturnType<typeof startAppHost>>;
let azurite: RunningAzurite;
let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  useSettings({ AzureWebJobsStorage: azurite.connectionString, TWILIO_API_BASE_URL: fake.url });
  app = await startAppHost();
});
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await app?.close();
  await fake?.close();
  await azurite?.stop();
});

describe('a campaign whose worker is killed mid-way', () => {
  it('finishes after a new worker starts: every recipient texted exactly once', async () => {
    const count = 150;
    const created = await api(app.url, 'POST', 'campaigns', {
      name: 'restart',
      text: { body: 'Hi {{ variables.name }}' },
      rate: { textsPerSecond: 10 },
      recipients: numbers(count),
    });
    expect(created.status).toBe(201);
    const id = created.body!.id as string;
    const first = await startWorker({});
    workers.push(first);
    await until('a third sent', async () => (fake.messages.length >= count / 3 ? true : undefined), 60_000);
    // Some of Twilio's answers never reach the killed worker: it dies with sends in flight.
    for (let n = 0; n < 3; n++) fake.delayNext(2_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.kill('SIGKILL');
    const sentBeforeKill = fake.messages.length;
    const mid = await api(app.url, 'GET', `campaigns/${id}`);
    expect(mid.body!.done).toBe(false);

    workers.push(await startWorker({}));
    const progress = await finished(app.url, id, 90_000);
    console.log(`killed after ${sentBeforeKill} texts; then:\n${JSON.stringify(progress.counts)}`);
    const perNumber = textsPerNumber(fake.messages);
    expect(perNumber.size).toBe(count);
    expect([...perNumber.values()].every((texts) => texts === 1)).toBe(true);
    expect(progress.counts).toMatchObject({ sent: count, failed: 0, waiting: 0 });
  }, 180_000);
});
