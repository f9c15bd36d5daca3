import * as z from 'zod';
// Every check without a message of its own says what was expected (not zod's "Invalid input").
import '../config/zodMessages';

/** A phone number as Twilio takes it: E.164. */
export const phoneNumber = z.string().pipe(z.e164());

/** Twilio SIDs: two letters and 32 lowercase hex digits; hex case is forgiven on input. */
const sid = (pattern: RegExp, what: string) =>
  z
    .string({ error: 'is required' })
    .regex(pattern, `must be a ${what}`)
    .transform((value) => `${value.slice(0, 2).toUpperCase()}${value.slice(2).toLowerCase()}`);
export const callSid = sid(/^CA[0-9a-f]{32}$/i, 'call SID (CA followed by 32 hex digits)');
export const messageSid = sid(/^(SM|MM)[0-9a-f]{32}$/i, 'message SID (SM or MM followed by 32 hex digits)');
export const recordingSid = sid(/^RE[0-9a-f]{32}$/i, 'recording SID (RE followed by 32 hex digits)');
