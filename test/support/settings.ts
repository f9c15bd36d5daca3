import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { resetSettings } from '../../lib/config/settings';

/** Credentials made up per test run: never a real account, and easy to look for in logs. */
export const TEST_ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
export const TEST_AUTH_TOKEN = `tok${randomBytes(15).toString('hex')}`;
export const TEST_PHONE_NUMBER = '+15005550006';

export const baseSettings = {
  TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: TEST_PHONE_NUMBER,
  AzureWebJobsStorage: inject('azuriteConnectionString'),
};

const managed = new Set<string>();

/** Replaces the app's settings for the tests that follow (unset keys are removed). */
export function useSettings(values: Record<string, string | undefined>): void {
  for (const key of managed) delete process.env[key];
  managed.clear();
  for (const [key, value] of Object.entries({ ...baseSettings, ...values })) {
    managed.add(key);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  resetSettings();
}
