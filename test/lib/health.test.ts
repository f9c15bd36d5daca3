import { closedPort } from '../support/ports';
import { afterEach, describe, expect, it } from 'vitest';
import { shortenDeadlinesForTests } from '../../lib/config/deadlines';
import { loadSettings } from '../../lib/config/settings';
import { describeSetup, healthReport, probeStorage } from '../../lib/health';
import { baseSettings, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

afterEach(() => useSettings({}));

describe('health: where the app sends REST calls and keeps records', () => {
  it('names the endpoints and shortens the account SID, never a secret', () => {
    const setup = describeSetup(loadSettings({ ...baseSettings, TWILIO_API_BASE_URL: 'http://127.0.0.1:3999' }));
    expect(setup.twilio).toEqual({
      endpoint: 'http://127.0.0.1:3999',
      emulator: true,
      account: `${TEST_ACCOUNT_SID.slice(0, 6)}…${TEST_ACCOUNT_SID.slice(-4)}`,
    });
    expect(setup.storage).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(connection string\)$/);
    const text = JSON.stringify(setup);
    expect(text).not.toContain(TEST_AUTH_TOKEN);
    expect(text).not.toContain(TEST_ACCOUNT_SID);
    expect(text).not.toMatch(/AccountKey/i);
  });

  it('says real Twilio, Azurite, or a managed identity as configured', () => {
    const real = describeSetup(loadSettings({ ...baseSettings, AzureWebJobsStorage: 'UseDevelopmentStorage=true' }));
    expect(real.twilio).toMatchObject({ endpoint: 'https://api.twilio.com', emulator: false });
    expect(real.storage).toBe('Azurite (UseDevelopmentStorage=true)');
    const managed = describeSetup(
      loadSettings({
        ...baseSettings,
        AzureWebJobsStorage: undefined,
        AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
        AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
        AzureWebJobsStorage__credential: 'managedidentity',
      }),
    );
    expect(managed.storage).toBe('https://acct.table.core.windows.net (managed identity)');
  });
});

describe('health: whether storage does what the webhooks need', () => {
  it('writes and reads its entity in the shared Azurite', async () => {
    const reach = await probeStorage(loadSettings(baseSettings));
    expect(reach).toMatchObject({ reachable: true, write: 'ok', read: 'ok' });
    expect(reach.problem).toBeUndefined();
  });

  it('reports storage out of reach, which step failed, within the probe’s deadline', async () => {
    const restore = shortenDeadlinesForTests({ healthProbeMs: 500, storageMs: 500 });
    try {
      const port = await closedPort();
      const settings = loadSettings({
        ...baseSettings,
        AzureWebJobsStorage: baseSettings.AzureWebJobsStorage.replace(/127\.0\.0\.1:\d+/g, `127.0.0.1:${port}`),
      });
      const started = Date.now();
      const reach = await probeStorage(settings);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(reach).toMatchObject({ reachable: false, write: 'failed', read: 'failed' });
      expect(reach.problem).toMatch(/^the write of the health entity failed: .+; the read of the health entity failed/);
    } finally {
      restore();
    }
  });

  it('says misconfigured, naming the setting, when a setting is missing', async () => {
    useSettings({ TWILIO_AUTH_TOKEN: undefined });
    const report = await healthReport();
    expect(report.status).toBe('misconfigured');
    expect(report.problems?.join('\n')).toContain('TWILIO_AUTH_TOKEN');
  });
});
