/**
 * The emulator as npm start runs it: made-up credentials, the configured number, and that
 * number pointed at the local app through the REST API, as `npm run webhooks` points a real
 * Twilio number, so an incoming call or text starts from the number's own configuration.
 */
import { functionWebhooks, type NumberWebhooks } from '../webhooks/command';
import { accountUrl } from './interpreter/twilioApi';
import { NUMBER_METHOD_FIELDS, NUMBER_URL_FIELDS } from './rest/resources';
import { startEmulator, type Emulator } from './rest/server';

export interface LocalTwilio {
  emulator: Emulator;
  accountSid: string;
  authToken: string;
  phoneNumber: string;
  /** Sets the number's voice, SMS, fallback and status callback URLs to the app at `origin`; answers what was set. */
  pointNumberAt(origin: string): Promise<NumberWebhooks>;
}

export async function startLocalTwilio(
  account: { accountSid: string; authToken: string },
  phoneNumber: string,
  log: (line: string) => void,
  /** 0 or absent: a free port (EMULATOR_PORT in npm start). */
  port = 0,
): Promise<LocalTwilio> {
  const emulator = await startEmulator({ ...account, phoneNumbers: [phoneNumber], log, port });
  const authorization = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
  return {
    emulator,
    ...account,
    phoneNumber,
    async pointNumberAt(origin) {
      const [number] = emulator.phoneNumbers.values();
      const webhooks = functionWebhooks(origin);
      const response = await fetch(
        `${accountUrl(account.accountSid, emulator.url)}/IncomingPhoneNumbers/${number!.sid}.json`,
        {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(
            Object.fromEntries(
              Object.entries({ ...NUMBER_URL_FIELDS, ...NUMBER_METHOD_FIELDS }).map(([param, key]) => [
                param,
                webhooks[key],
              ]),
            ),
          ),
        },
      );
      if (!response.ok)
        throw new Error(`the emulator refused the number's webhooks: ${response.status} ${await response.text()}`);
      return webhooks;
    },
  };
}
