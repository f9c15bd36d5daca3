/**
 * The emulator as npm start runs it: made-up credentials, the configured number, and that
 * number pointed at the local app through the REST API, as `npm run webhooks` points a real
 * Twilio number, so an incoming call or text starts from the number's own configuration.
 */
import { functionWebhooks, type NumberWebhooks } from '../webhooks/command';
import { startEmulator, type Emulator } from './server';

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
        `${emulator.url}/2010-04-01/Accounts/${account.accountSid}/IncomingPhoneNumbers/${number!.sid}.json`,
        {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            VoiceUrl: webhooks.voiceUrl,
            VoiceMethod: webhooks.voiceMethod,
            VoiceFallbackUrl: webhooks.voiceFallbackUrl,
            VoiceFallbackMethod: webhooks.voiceFallbackMethod,
            SmsUrl: webhooks.smsUrl,
            SmsMethod: webhooks.smsMethod,
            SmsFallbackUrl: webhooks.smsFallbackUrl,
            SmsFallbackMethod: webhooks.smsFallbackMethod,
            StatusCallback: webhooks.statusCallback,
            StatusCallbackMethod: webhooks.statusCallbackMethod,
          }),
        },
      );
      if (!response.ok)
        throw new Error(`the emulator refused the number's webhooks: ${response.status} ${await response.text()}`);
      return webhooks;
    },
  };
}
