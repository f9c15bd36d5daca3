import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { TEST_AUTH_TOKEN } from './settings';

/** A form POST to a running host, signed as Twilio signs it with the test run's auth token. */
export function postSigned(url: string, fields: Record<string, string>, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': getExpectedTwilioSignature(TEST_AUTH_TOKEN, url, fields),
    },
    body: new URLSearchParams(fields).toString(),
    ...init,
  });
}
