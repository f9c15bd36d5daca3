/**
 * What Twilio fixes and both halves of the emulator (and `simulate`) repeat: the REST API's
 * version and base URL, SIDs and dates as it writes them, the longest a call may last, and the
 * parameters every request about a call carries.
 */
import { randomBytes } from 'node:crypto';

/** The version of Twilio's REST API that the app uses and the emulator serves; every request and resource names it. */
export const API_VERSION = '2010-04-01';

/** Where Twilio's REST API lives, and so where its recordings and transcriptions are served. */
export const TWILIO_API_BASE_URL = 'https://api.twilio.com';

/** A Twilio-shaped SID: two-letter prefix (CA call, SM message, PN number, RE recording, TR transcription, AC account) and 32 hex digits. */
export const newSid = (prefix: 'CA' | 'SM' | 'PN' | 'RE' | 'TR' | 'AC' | 'NO') =>
  `${prefix}${randomBytes(16).toString('hex')}`;

/** Made-up credentials for an emulator run: they open nothing but the local emulator. */
export const localAccount = () => ({ accountSid: newSid('AC'), authToken: randomBytes(16).toString('hex') });

/** Dates as Twilio's REST API and callbacks write them (RFC 2822): `Tue, 31 Aug 2010 20:36:28 +0000`. */
export const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000');

/** Twilio ends a call after four hours: the default and the largest `TimeLimit` (a call's or a `<Dial>`'s). */
export const MAX_CALL_SECONDS = 14_400;

/** `{base}/2010-04-01/Accounts/{AccountSid}`: the account's resources under an API base URL (default Twilio's own). */
export function accountUrl(accountSid: string, apiBaseUrl: string = TWILIO_API_BASE_URL): string {
  return `${apiBaseUrl.replace(/\/+$/, '')}/${API_VERSION}/Accounts/${accountSid}`;
}

/** What every request about a call says of it: the parameters Twilio sends with its answer and status callback requests. */
export function callParams(call: {
  accountSid: string;
  sid: string;
  direction: string;
  from: string;
  to: string;
}): Record<string, string> {
  return {
    AccountSid: call.accountSid,
    ApiVersion: API_VERSION,
    CallSid: call.sid,
    Direction: call.direction,
    From: call.from,
    To: call.to,
    Caller: call.from,
    Called: call.to,
  };
}
