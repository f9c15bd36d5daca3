import * as z from 'zod';
import { secureUrl } from '../config/secureUrl';
import { phoneNumber } from '../twilio/ids';
import { twimlProblem } from '../twilio/twiml';

/** `flow` of POST /api/calls: the step the callee hears (default: the entry step), checked against the flow file by lib/flows/placedCall.ts. */
export const callFlow = z.strictObject({
  step: z.string().min(1).max(100).optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
});
export type CallFlow = z.output<typeof callFlow>;

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
    flow: callFlow.optional(),
  })
  .refine((body) => [body.say, body.twiml, body.url, body.flow].filter((value) => value !== undefined).length <= 1, {
    message: 'give at most one of say, twiml, url or flow',
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
