import * as z from 'zod';
// Every check without a message of its own says what was expected (not zod's "Invalid input").
import '../config/zodMessages';
import { secureUrl } from '../config/secureUrl';
import { phoneNumber } from '../twilio/ids';
import { twimlProblem } from '../twilio/twiml';

/** `flow` of POST /api/calls: the step the callee hears (default: the entry step), checked against the flow file by lib/flows/placedCall.ts. */
export const callFlow = z.strictObject({
  step: z.string().min(1, 'must name a step of the flow').max(100, 'must be at most 100 characters').optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
});
export type CallFlow = z.output<typeof callFlow>;

const whole = (min: number, max: number, unit: string) =>
  z.int().min(min, `must be ${min} to ${max} ${unit}`).max(max, `must be ${min} to ${max} ${unit}`).optional();
const detectionMode = z.enum(['Enable', 'DetectMessageEnd'], { error: 'must be Enable or DetectMessageEnd' });

/** `machineDetection` of POST /api/calls: Twilio's answering machine detection, its mode and timeouts (Twilio's ranges). */
export const machineDetection = z.union([
  detectionMode.transform((mode) => ({ mode })),
  z.strictObject({
    mode: detectionMode,
    timeout: whole(3, 59, 's'),
    speechThreshold: whole(1000, 6000, 'ms'),
    speechEndThreshold: whole(500, 5000, 'ms'),
    silenceTimeout: whole(2000, 10000, 'ms'),
  }),
]);
export type MachineDetection = z.output<typeof machineDetection>;

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
    machineDetection: machineDetection.optional(),
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

/** `flow` of POST /api/messages: a text conversation started with `to` at a step of messaging.steps (lib/flows/conversationApi.ts checks it). */
export const conversationFlow = z.strictObject({
  step: z.string().min(1, 'must name a step of messaging.steps').max(100, 'must be at most 100 characters'),
  variables: z.record(z.string(), z.unknown()).optional(),
});
export type ConversationFlow = z.output<typeof conversationFlow>;

/** The body of POST /api/messages: a text (`body`), or a conversation's start (`flow`), whose questions are its texts. */
export const postMessageRequest = messageRequest
  .extend({ body: messageRequest.shape.body.optional(), flow: conversationFlow.optional() })
  .superRefine((request, context) => {
    // Without either, `body` is required as it always was; a conversation's start is the other way.
    if (request.body === undefined && request.flow === undefined)
      context.addIssue({ code: 'custom', path: ['body'], message: 'is required' });
    if (request.body !== undefined && request.flow !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['body'],
        message: 'give body (a text) or flow (a conversation), not both',
      });
    if (request.flow && request.mediaUrl)
      context.addIssue({ code: 'custom', path: ['mediaUrl'], message: 'goes with body, not with flow' });
  });
export type PostMessageRequest = z.output<typeof postMessageRequest>;
