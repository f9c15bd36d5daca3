import * as z from 'zod';
import { secureUrl } from '../config/secureUrl';
import { twimlProblem } from '../twilio/twiml';

export const phoneNumber = z.string().pipe(z.e164());

export const callRequest = z
  .strictObject({
    to: phoneNumber,
    from: phoneNumber.optional(),
    say: z.string().min(1).max(4000).optional(),
    twiml: z
      .string()
      .min(1)
      .max(4000)
      .superRefine((value, ctx) => {
        const problem = twimlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    url: secureUrl.optional(),
  })
  .refine((body) => [body.say, body.twiml, body.url].filter((value) => value !== undefined).length <= 1, {
    message: 'give at most one of say, twiml or url',
    path: ['say'],
  });
export type CallRequest = z.output<typeof callRequest>;

export const messageRequest = z.strictObject({
  to: phoneNumber,
  from: phoneNumber.optional(),
  body: z.string().min(1).max(1600),
  mediaUrl: z
    .array(z.url({ protocol: /^https$/, error: 'must be an https URL' }))
    .max(10)
    .optional(),
});
export type MessageRequest = z.output<typeof messageRequest>;

/** Twilio SIDs: two letters and 32 lowercase hex digits; hex case is forgiven on input. */
const sid = (pattern: RegExp, what: string) =>
  z
    .string({ error: 'is required' })
    .regex(pattern, `must be a ${what}`)
    .transform((value) => `${value.slice(0, 2).toUpperCase()}${value.slice(2).toLowerCase()}`);
export const callSid = sid(/^CA[0-9a-f]{32}$/i, 'call SID (CA followed by 32 hex digits)');
export const messageSid = sid(/^(SM|MM)[0-9a-f]{32}$/i, 'message SID (SM or MM followed by 32 hex digits)');
export const recordingSid = sid(/^RE[0-9a-f]{32}$/i, 'recording SID (RE followed by 32 hex digits)');
