import type { Twilio } from 'twilio';
import { createTwilioClient, isRestException, type TwilioCredentials } from '../../lib/twilio/client';
import { CommandError } from './args';
import type { TwilioTarget } from './settings';

/** The real twilio SDK client for a target, sending its REST calls to the emulator when the target has one. */
export async function twilioClientFor(target: TwilioTarget): Promise<Twilio> {
  const settings: TwilioCredentials = {
    TWILIO_ACCOUNT_SID: target.accountSid,
    TWILIO_AUTH_TOKEN: target.authToken,
    TWILIO_API_BASE_URL: target.apiBaseUrl ? new URL(target.apiBaseUrl).origin : undefined,
  };
  try {
    return await createTwilioClient(settings);
  } catch (error) {
    throw new CommandError(
      `cannot create the Twilio client: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Where REST calls go, and whose credentials sign them, for a status line (never the token). */
export function describeTarget(target: TwilioTarget): string {
  const where = target.apiBaseUrl ? `emulator at ${new URL(target.apiBaseUrl).origin}` : 'api.twilio.com';
  const source = target.source === 'dev session' ? 'npm start session' : 'environment / local.settings.json';
  return `${where}, account ${shortSid(target.accountSid)} (${source})`;
}

export const shortSid = (sid: string) => (sid.length > 12 ? `${sid.slice(0, 6)}…${sid.slice(-4)}` : sid);

/** A Twilio REST failure as one actionable sentence. */
export function explainTwilioError(error: unknown, target: TwilioTarget): CommandError {
  if (isRestException(error)) {
    if (error.code === 20003 || error.status === 401) {
      const where =
        target.source === 'dev session'
          ? 'the npm start session (.local/dev-session-<port>.json)'
          : 'TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN';
      return new CommandError(`Twilio refused the credentials (20003 ${error.message}): check ${where}`);
    }
    return new CommandError(
      `Twilio answered ${error.status}${error.code ? ` with error ${error.code}` : ''}: ${error.message}${error.moreInfo ? ` (${error.moreInfo})` : ''}`,
    );
  }
  const reason = error instanceof Error ? ((error as Error & { code?: string }).code ?? error.message) : String(error);
  const where = target.apiBaseUrl ? `the emulator at ${target.apiBaseUrl} (is npm start running?)` : 'api.twilio.com';
  return new CommandError(`could not reach ${where}: ${reason}`);
}
