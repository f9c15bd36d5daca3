/**
 * `ask` (Studio's Send & Wait For Reply): in a text conversation (messaging.steps), text the
 * other party a question and wait. The reply is saved as a variable and goes to `next` (else the
 * actions after this one); no reply within `timeout` goes to `noReply` (else the conversation
 * ends). Only conversations run it: lib/flows/conversation.ts, lib/flows/converse.ts.
 */
import * as z from 'zod';
import { stepName, text, variableName } from '../fields';
import { defineAction, lazySchema } from './action';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** The timer looks once a minute: a shorter wait would not be kept to; Twilio keeps a conversation 7 days at most. */
const MIN_SECONDS = 60;
const MAX_SECONDS = 7 * 86_400;
export const DEFAULT_TIMEOUT = '1h';

/** `90s`, `30m`, `1h`, `2d` in seconds; undefined when it is not a duration. */
export function durationSeconds(value: string): number | undefined {
  const match = /^([1-9]\d{0,6})(s|m|h|d)$/.exec(value);
  return match ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS] : undefined;
}

const duration = lazySchema(() =>
  z
    .string()
    .refine((value) => {
      const seconds = durationSeconds(value);
      return seconds !== undefined && seconds >= MIN_SECONDS && seconds <= MAX_SECONDS;
    }, 'must be a duration from 1m to 7d, like 90s, 30m, 1h or 2d')
    .meta({ description: 'How long to wait for the reply: 30m, 1h, 2d (1m to 7d). Default 1h.' }),
);

const schema = lazySchema(() =>
  z
    .strictObject({
      text: text.meta({ description: 'The question, a template: "How was your visit, {{ flow.variables.name }}?"' }),
      save: variableName
        .optional()
        .meta({ description: 'The variable the reply is saved in (flow.variables.<save>).' }),
      timeout: duration().default(DEFAULT_TIMEOUT),
      next: stepName
        .optional()
        .meta({ description: 'The step the reply goes to; default: the actions after this one.' }),
      noReply: stepName
        .optional()
        .meta({ description: 'The step when no reply comes in time; default: the conversation ends.' }),
    })
    .meta({ description: 'Text a question and wait for the reply (messaging steps only).' }),
);

export type Ask = z.output<ReturnType<typeof schema>>;

export const ask = defineAction({
  get schema() {
    return schema();
  },
  ends: true,
  channels: ['messaging'],
  steps: (value) => [
    ...(value.next ? [{ path: ['next'], step: value.next }] : []),
    ...(value.noReply ? [{ path: ['noReply'], step: value.noReply }] : []),
  ],
  write: () => undefined,
});
