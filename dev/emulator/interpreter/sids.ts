import { randomBytes } from 'node:crypto';

/** A Twilio-shaped SID: two-letter prefix (CA call, SM message, PN number, RE recording, TR transcription, AC account) and 32 hex digits. */
export const newSid = (prefix: 'CA' | 'SM' | 'PN' | 'RE' | 'TR' | 'AC') =>
  `${prefix}${randomBytes(16).toString('hex')}`;

/** Made-up credentials for an emulator run: they open nothing but the local emulator. */
export const localAccount = () => ({ accountSid: newSid('AC'), authToken: randomBytes(16).toString('hex') });

/** Dates as Twilio's REST API and callbacks write them (RFC 2822): `Tue, 31 Aug 2010 20:36:28 +0000`. */
export const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000');
