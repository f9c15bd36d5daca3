import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SMS_REPLY, DEFAULT_VOICE_GREETING, loadSettings } from '../../../lib/config/settings';
import { baseSettings } from '../../support/settings';

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
  throw new Error('settings were accepted');
};

describe('settings', () => {
  afterEach(() => {
    delete process.env.WEBSITE_INSTANCE_ID;
  });

  it('accepts the required settings and fills in the seed defaults', () => {
    const settings = loadSettings(baseSettings);
    expect(settings.VOICE_GREETING).toBe(DEFAULT_VOICE_GREETING);
    expect(settings.SMS_REPLY).toBe(DEFAULT_SMS_REPLY);
    expect(settings.PUBLIC_BASE_URL).toBeUndefined();
  });

  it('names every missing setting in one error', () => {
    expect(problemsOf({})).toEqual([
      'TWILIO_ACCOUNT_SID: is required',
      'TWILIO_AUTH_TOKEN: is required',
      'TWILIO_PHONE_NUMBER: is required',
    ]);
    expect(problemsOf({ ...baseSettings, AzureWebJobsStorage: undefined })).toEqual([
      'AzureWebJobsStorage: is required (or AzureWebJobsStorage__tableServiceUri for identity-based access)',
    ]);
  });

  it('names each invalid setting with its reason', () => {
    const problems = problemsOf({
      ...baseSettings,
      TWILIO_ACCOUNT_SID: 'AB123',
      TWILIO_PHONE_NUMBER: '555-1234',
      PUBLIC_BASE_URL: 'http://example.com/app',
      TWILIO_API_BASE_URL: 'not a url',
    });
    expect(problems).toContain('TWILIO_ACCOUNT_SID: must be "AC" followed by 32 hex characters');
    expect(problems).toContain('TWILIO_PHONE_NUMBER: must be a phone number in E.164, like +15550100000');
    expect(problems).toContain('PUBLIC_BASE_URL: must use https (http is allowed for localhost only)');
    expect(problems).toContain(
      'PUBLIC_BASE_URL: must be an origin only, such as https://myapp.azurewebsites.net (no path or query)',
    );
    expect(problems.some((p) => p.startsWith('TWILIO_API_BASE_URL: '))).toBe(true);
  });

  it.each(['', '   ', '\t\n'])(
    'refuses an empty or blank auth token (%j): it would validate empty signatures',
    (token) => {
      expect(problemsOf({ ...baseSettings, TWILIO_AUTH_TOKEN: token })).toEqual([
        'TWILIO_AUTH_TOKEN: must not be empty (an empty token would accept unsigned webhooks)',
      ]);
    },
  );

  it.each(['garbage', 'AccountName=devstoreaccount1', 'TableEndpoint=not a url;SharedAccessSignature=sv=1'])(
    'refuses the storage connection string %j at start, naming the setting and not its value',
    (connection) => {
      const problems = problemsOf({ ...baseSettings, AzureWebJobsStorage: connection });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^AzureWebJobsStorage: /);
      expect(problems[0]).not.toContain(connection);
    },
  );

  it('never puts a value in the error', () => {
    const secret = 'ACthis-is-not-a-sid-but-a-secret';
    let message = '';
    try {
      loadSettings({ ...baseSettings, TWILIO_ACCOUNT_SID: secret, AzureWebJobsStorage: undefined });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('TWILIO_ACCOUNT_SID');
    expect(message).not.toContain(secret);
    expect(message).not.toContain(baseSettings.TWILIO_AUTH_TOKEN);
  });

  it('keeps only the origin of PUBLIC_BASE_URL and allows http on localhost', () => {
    expect(loadSettings({ ...baseSettings, PUBLIC_BASE_URL: 'https://app.azurewebsites.net/' }).PUBLIC_BASE_URL).toBe(
      'https://app.azurewebsites.net',
    );
    expect(loadSettings({ ...baseSettings, PUBLIC_BASE_URL: 'http://localhost:7071' }).PUBLIC_BASE_URL).toBe(
      'http://localhost:7071',
    );
  });

  it('requires PUBLIC_BASE_URL in Azure, where the request URL is not the one Twilio signed', () => {
    process.env.WEBSITE_INSTANCE_ID = 'instance';
    expect(problemsOf(baseSettings)).toEqual([
      'PUBLIC_BASE_URL: is required in Azure: Twilio signs the public URL, which the function cannot see',
    ]);
  });

  it('accepts identity-based storage instead of a connection string', () => {
    const settings = loadSettings({
      ...baseSettings,
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000000',
    });
    expect(settings.AzureWebJobsStorage__tableServiceUri).toBe('https://acct.table.core.windows.net');
    expect(settings.AzureWebJobsStorage__queueServiceUri).toBe('https://acct.queue.core.windows.net');
  });

  it('asks for the queue endpoint with identity-based tables: texts the app sends on its own are queued', () => {
    expect(
      problemsOf({
        ...baseSettings,
        AzureWebJobsStorage: undefined,
        AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
      }),
    ).toEqual([
      'AzureWebJobsStorage__queueServiceUri: is required with AzureWebJobsStorage__tableServiceUri: texts the app sends on its own are queued',
    ]);
  });
});
