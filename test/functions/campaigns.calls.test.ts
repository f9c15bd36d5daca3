/**
 * Campaigns against the local Twilio emulator. A call campaign: each recipient is called once,
 * at the calls-per-second rate, by the same code as POST /api/calls with `flow`, and hears the
 * flow step with its own variables; the emulator's status callbacks make each one `delivered`.
 * And `npm run simulate -- campaign`, which starts a small one and watches it finish.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { runSimulate } from '../../dev/simulate/command';
import { startLocalTwilio, type LocalTwilio } from '../../dev/emulator/local';
import { startAppHost, type AppHostWithQueues } from '../support/appHost';
import { api, until } from '../support/campaigns';
import { captureIo } from '../support/cliIo';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER, useSettings } from '../support/settings';

const dir = mkdtempSync(join(tmpdir(), 'call-campaign-'));
const flowFile = join(dir, 'flows.json');
writeFileSync(
  flowFile,
  JSON.stringify({
    voice: {
      entry: 'reminder',
      steps: {
        reminder: {
          actions: [{ say: 'Hi {{ flow.variables.name }}, see you at {{ flow.variables.time }}.' }, { hangup: true }],
        },
      },
    },
  }),
);

let app: AppHostWithQueues;
let azurite: RunningAzurite;
let twilio: LocalTwilio;

beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  twilio = await startLocalTwilio(
    { accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN },
    TEST_PHONE_NUMBER,
    () => {},
  );
  useSettings({
    AzureWebJobsStorage: azurite.connectionString,
    TWILIO_API_BASE_URL: twilio.emulator.url,
    PHONE_FLOWS: flowFile,
  });
  app = await startAppHost(() => {}, { queues: { maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 1 } });
  await twilio.pointNumberAt(app.url);
});
afterAll(async () => {
  await app?.close();
  await twilio?.emulator.stop();
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a call campaign', () => {
  it('calls each recipient once into the flow step with its variables, at the calls-per-second rate', async () => {
    const people = [
      { to: '+15550700001', variables: { name: 'Ada', time: '10:30' } },
      { to: '+15550700002', variables: { name: 'Grace', time: '11:00' } },
      { to: '+15550700003', variables: { name: 'Alan', time: '11:30' } },
      { to: '+15550700004', variables: { name: 'Edsger', time: '12:00' } },
    ];
    const created = await api(app.url, 'POST', 'campaigns', {
      name: 'reminder calls',
      call: { step: 'reminder' },
      rate: { callsPerSecond: 2 },
      recipients: people,
    });
    expect(created.status).toBe(201);
    const id = created.body!.id as string;
    const progress = await until(
      'every call delivered',
      async () => {
        const now = await api(app.url, 'GET', `campaigns/${id}`);
        return now.body!.counts.delivered === people.length ? now.body! : undefined;
      },
      30_000,
    );
    expect(progress.counts).toMatchObject({ waiting: 0, sent: 0, failed: 0, delivered: 4 });
    expect(progress.call).toMatchObject({ step: 'reminder' });
    // Three gaps at 2 calls per second: at least about 1.5 s from the first call to the last.
    const first = Date.parse(progress.achieved.firstSentAt as string);
    const last = Date.parse(progress.achieved.lastSentAt as string);
    expect(last - first).toBeGreaterThanOrEqual(1_400);
    expect(progress.achieved.callsPerSecond).toBeLessThanOrEqual(2.2);

    const calls = [...twilio.emulator.calls.values()].filter((call) => call.direction === 'outbound-api');
    expect(calls.map((call) => call.to).sort()).toEqual(people.map((person) => person.to));
    for (const person of people) {
      const call = calls.find((one) => one.to === person.to)!;
      const heard = call.transcript.map((line) => `${line.verb}: ${line.text}`);
      expect(heard).toContain(`Say: Hi ${person.variables.name}, see you at ${person.variables.time}.`);
    }
  }, 60_000);

  it('refuses a step the flow does not have, naming call.step, and a campaign of both text and call', async () => {
    const wrongStep = await api(app.url, 'POST', 'campaigns', {
      name: 'x',
      call: { step: 'nowhere' },
      recipients: [{ to: '+15550700009' }],
    });
    expect(wrongStep.status).toBe(400);
    expect(wrongStep.body!.problems).toEqual([expect.objectContaining({ field: 'call.step' })]);
    const both = await api(app.url, 'POST', 'campaigns', {
      name: 'x',
      call: {},
      text: { body: 'Hi' },
      recipients: [{ to: '+15550700009' }],
    });
    expect(both.status).toBe(400);
    expect(both.body!.problems).toEqual([expect.objectContaining({ field: 'text' })]);
  });
});

describe('npm run simulate -- campaign', () => {
  it('starts a small campaign of texts on the app and prints its progress until every text is delivered', async () => {
    const run = captureIo(dir, { TWILIO_API_BASE_URL: twilio.emulator.url });
    const code = await runSimulate(['campaign', '--url', app.url, '--count', '3', '--rate', '5'], run.io);
    expect(code, run.stderr()).toBe(0);
    const printed = run.stdout();
    expect(printed).toMatch(/^Campaign CP[0-9a-f]{32}: 3 texts \(POST .*\/api\/campaigns 201\)$/m);
    expect(printed).toMatch(/^\s+\d+\.\d s {2}delivered 3$/m);
    expect(printed).toMatch(/^Achieved [\d.]+ per second/m);
    const texts = [...twilio.emulator.messages.values()].filter((message) => message.to.startsWith('+155502000'));
    expect(texts.map((message) => message.body).sort()).toEqual([
      'Hi Guest 1, this is a campaign from npm run simulate.',
      'Hi Guest 2, this is a campaign from npm run simulate.',
      'Hi Guest 3, this is a campaign from npm run simulate.',
    ]);
  }, 60_000);
});
