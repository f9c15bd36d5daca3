import * as z from 'zod';
// Every check without a message of its own says what was expected (not zod's "Invalid input").
import '../config/zodMessages';
import { secureUrl } from '../config/secureUrl';
import { phoneNumber } from '../twilio/ids';
import { twimlProblem } from '../twilio/twiml';

/** The body of POST /api/calls. */
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

/** The body of POST /api/messages. */
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
