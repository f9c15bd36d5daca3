/**
 * The flow file: what the line does, in one validated JSON document. This schema is its single
 * source of truth: the app validates with it, and `flows.schema.json` (for editors) is
 * generated from it (`npm run flows:schema`; a test fails when the committed copy is stale).
 * Each voice action's schema is in its module (actions/); cross-references (step names,
 * reachability, loops) are checked in check.ts.
 */
import * as z from 'zod';
import { ACTIONS, kindsOf, type VoiceAction, type VoiceActionInput } from './actions';
import { e164, https, stepName, text } from './fields';
import { didYouMean } from '../config/zodMessages';
import { patternProblem } from './pattern';
import { lazySchema } from './actions/action';

// Voice actions: one module each, listed in actions/index.ts ---------------------------------

/** One action of a channel's steps: `{ "<kind>": value }`, a kind its channel may hold (built when called). */
const actionOfChannel = (channel: 'voice' | 'messaging') => {
  const kinds = kindsOf(channel);
  return z.union(
    kinds.map((kind) => z.strictObject({ [kind]: ACTIONS[kind].schema })) as unknown as [z.ZodType, ...z.ZodType[]],
    { error: `must be one action: ${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1)}, each alone in its object` },
  ) as unknown as z.ZodType<VoiceAction, VoiceActionInput>;
};

const voiceAction = lazySchema(() => actionOfChannel('voice'));
export type { VoiceAction };

const step = lazySchema(() =>
  z.strictObject({
    description: z.string().optional(),
    actions: z.array(voiceAction()).min(1, 'must have at least one action'),
  }),
);
export type Step = z.output<ReturnType<typeof step>>;

// Routing ---------------------------------------------------------------------------------

const blocklist = lazySchema(() =>
  z
    .strictObject({
      numbers: z.array(e164).default([]),
      prefixes: z.array(z.string().regex(/^\+\d{1,14}$/, 'must be + and digits, like +1900')).default([]),
    })
    .meta({ description: 'Callers and senders to turn away: whole numbers, or prefixes.' }),
);

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];
const span = lazySchema(() =>
  z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time span like 09:00-17:30')
    .refine((value) => value.slice(0, 5) < value.slice(6), 'must end after it starts'),
);
/** Hours in a time zone: the line's open hours, a campaign's window (lib/campaigns). */
const hoursSchema = lazySchema(() =>
  z
    .strictObject({
      timeZone: z
        .string()
        .superRefine((zone, context) => {
          if (!isTimeZone(zone))
            context.addIssue({
              code: 'custom',
              message: `must be an IANA time zone, like America/New_York${didYouMean(zone, [...Intl.supportedValuesOf('timeZone'), 'UTC'])}`,
            });
        })
        .meta({ description: 'IANA time zone of the schedule.' }),
      weekly: z
        .partialRecord(z.enum(DAYS), z.array(span()))
        .meta({ description: 'Open hours per day: { "mon": ["09:00-17:00"] }; a day not listed is closed.' }),
      closures: z
        .array(z.iso.date({ error: 'must be a date like 2026-12-25' }))
        .default([])
        .meta({ description: 'Dates (in the time zone) when the line is closed all day.' }),
    })
    .meta({ description: 'When the line is open: used by voice.closed and messaging rules with "hours".' }),
);
/** Hours in a time zone (built on first use). */
export const hours = z.lazy(hoursSchema);
export type Hours = z.output<ReturnType<typeof hoursSchema>>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const voice = lazySchema(() =>
  z
    .strictObject({
      entry: stepName.meta({ description: 'The step an incoming call starts at.' }),
      closed: stepName
        .optional()
        .meta({ description: 'The step instead of entry outside business hours (needs "hours").' }),
      machine: stepName.optional().meta({
        description:
          'The step a call the app placed with machineDetection starts at when a machine or fax answers (AnsweredBy machine_*, fax).',
      }),
      blocked: z
        .union([z.enum(['reject', 'busy']), z.strictObject({ step: stepName })], {
          error: 'must be "reject", "busy" or { "step" }',
        })
        .default('reject')
        .meta({ description: 'A blocked caller: rejected (not answered, not billed), a busy tone, or a step.' }),
      onError: stepName.optional().meta({
        description:
          'The step a failed http or code action (with no "failed" step of its own) leads to, and where a call goes when its variables cannot be read.',
      }),
      steps: z.record(stepName, step()),
      voice: z.string().min(1).optional().meta({
        description:
          'The voice of every say (re-prompts, the "no longer available" apology and whispers included), e.g. "Polly.Lupe"; a say may name its own.',
      }),
      language: z.string().min(2).optional().meta({
        description: 'The language of every say, e.g. "es-US"; a say may name its own.',
      }),
    })
    .meta({ description: 'The voice flow: named steps, each a list of actions.' }),
);

/** The voice and language a flow's says use unless a say names its own. */
export const sayDefaults = (flow: { voice?: string | undefined; language?: string | undefined }): SayDefaults => ({
  ...(flow.voice ? { voice: flow.voice } : {}),
  ...(flow.language ? { language: flow.language } : {}),
});
export type SayDefaults = { voice?: string; language?: string };

// Messaging -------------------------------------------------------------------------------

/** The logic actions a messaging rule may run: the same modules as in a call. */
export const LOGIC_KINDS = ['set', 'switch', 'http', 'code'] as const;
const logicAction = lazySchema(() =>
  z.union(
    LOGIC_KINDS.map((kind) => z.strictObject({ [kind]: ACTIONS[kind].schema })) as unknown as [
      z.ZodType,
      z.ZodType,
      ...z.ZodType[],
    ],
    { error: `must be one action: ${LOGIC_KINDS.join(', ')}, each alone in its object` },
  ),
);

/** A reply a rule's actions may choose by name. */
const namedReply = lazySchema(() =>
  z
    .strictObject({
      reply: text.optional(),
      media: z.array(https).max(10).optional(),
    })
    .meta({ description: 'A reply a rule’s actions may choose: its text (a template) and media.' }),
);

const words = lazySchema(() => z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]));
const rule = lazySchema(() =>
  z
    .strictObject({
      description: z.string().optional(),
      keyword: words()
        .optional()
        .meta({ description: 'The whole message is this word (or one of these); case does not matter.' }),
      startsWith: words().optional().meta({ description: 'The message starts with this word.' }),
      pattern: z
        .string()
        .superRefine((source, context) => {
          const problem = patternProblem(source);
          if (problem) context.addIssue({ code: 'custom', message: problem });
        })
        .optional()
        .meta({
          description:
            'A regular expression the message matches (case-insensitive, RE2 syntax: no lookaround or backreferences).',
        }),
      hours: z
        .enum(['open', 'closed'])
        .optional()
        .meta({ description: 'Applies only when the line is open (or closed).' }),
      reply: text.optional().meta({ description: 'The reply; none when omitted.' }),
      media: z.array(https).max(10).optional().meta({ description: 'Pictures or files sent with the reply.' }),
      forward: z
        .union([e164, z.array(e164).min(1).max(10)])
        .optional()
        .meta({ description: 'Numbers the message is forwarded to.' }),
      forwardText: text.default('From {{ trigger.message.From }}: {{ trigger.message.Body }}'),
      start: stepName.optional().meta({
        description:
          'Start a text conversation with the sender at this step of messaging.steps (its asks wait for replies).',
      }),
      actions: z.array(logicAction()).optional().meta({
        description:
          'set, switch, http and code actions run before the reply; a step they name is one of messaging.replies, which then answers instead.',
      }),
    })
    .refine(
      (value) => [value.keyword, value.startsWith, value.pattern].filter((match) => match !== undefined).length <= 1,
      {
        message: 'give at most one of keyword, startsWith or pattern',
      },
    )
    .meta({ description: 'A rule: when the message matches (no match field: any message), reply and/or forward.' }),
);
export type MessagingRule = z.output<ReturnType<typeof rule>>;

const messaging = lazySchema(() =>
  z
    .strictObject({
      rules: z.array(rule()).default([]).meta({ description: 'Tried in order; the first that matches decides.' }),
      reply: text.optional().meta({ description: 'The reply when no rule matches; none when omitted.' }),
      replies: z.record(stepName, namedReply()).default({}).meta({
        description: 'Replies by name, for the steps a rule’s switch, http and code actions name.',
      }),
      steps: z
        .record(
          stepName,
          z.strictObject({
            description: z.string().optional(),
            actions: z.array(actionOfChannel('messaging')).min(1, 'must have at least one action'),
          }),
        )
        .default({})
        .meta({
          description:
            'Text conversations: named steps of ask, sms, set, switch, http and code actions. A rule’s "start" or POST /api/messages with "flow" begins one; a reply goes to the step its ask waits at.',
        }),
    })
    .meta({
      description:
        'The messaging flow. Opt-out and help keywords (STOP, HELP…) are never answered: carriers and Twilio do.',
    }),
);

const fileSchema = lazySchema(() =>
  z
    .strictObject({
      $schema: z.string().optional(),
      description: z.string().optional(),
      blocklist: blocklist().optional(),
      hours: hoursSchema().optional(),
      voice: voice().optional().meta({ description: 'Default: say {{ settings.VOICE_GREETING }}.' }),
      messaging: messaging().optional().meta({ description: 'Default: reply {{ settings.SMS_REPLY }}.' }),
    })
    .meta({
      title: 'Phone flows',
      description: 'What the line does with calls and texts (Twilio Voice & SMS on Azure Functions).',
    }),
);
/**
 * The flow file's schema, built on its first use: a webhook whose flow file the package
 * checked never builds it (load.ts), and building it is most of zod's share of a cold start.
 */
export const flowFileSchema = z.lazy(fileSchema);
export type FlowFile = z.output<ReturnType<typeof fileSchema>>;
export type VoiceFlow = NonNullable<FlowFile['voice']>;
export type MessagingFlow = NonNullable<FlowFile['messaging']>;

/** What the app does without a flow file: the seed's greeting and reply (the shipped flows.json says the same). */
export const DEFAULT_FLOWS: FlowFile = {
  voice: {
    entry: 'greeting',
    blocked: 'reject',
    steps: { greeting: { actions: [{ say: '{{ settings.VOICE_GREETING }}' }] } },
  },
  messaging: { reply: '{{ settings.SMS_REPLY }}', rules: [], replies: {}, steps: {} },
};

/** The JSON Schema editors use for flow files (committed as flows.schema.json). */
export function flowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(fileSchema(), { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
