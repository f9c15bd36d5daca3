/**
 * The flow file: what the line does, in one validated JSON document. This schema is its single
 * source of truth: the app validates with it, and `flows.schema.json` (for editors) is
 * generated from it (`npm run flows:schema`; a test fails when the committed copy is stale).
 * Cross-references (step names, reachability, loops) are checked in check.ts.
 */
import * as z from 'zod';
import { patternProblem } from './pattern';

const https = z.url({ protocol: /^https$/, error: 'must be an https URL' });
const e164 = z.e164({ error: 'must be a phone number in E.164, like +15550100000' });
const stepName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be a step name: a letter, then letters, digits, - or _ (64 at most)')
  .meta({ description: 'The name of a step in voice.steps.' });
const text = z.string().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters').meta({
  description:
    'Text; {From}, {To}, {Digits}, {SpeechResult}, {Body}… insert fields of the request, {VOICE_GREETING} and {SMS_REPLY} the settings.',
});
const seconds = (max: number) =>
  z.int('must be whole seconds').min(1, 'must be at least 1 second').max(max, `must be at most ${max} seconds`);
const loop = z
  .int('must be a whole number')
  .min(0, 'must be 0 or more')
  .max(1000, 'must be at most 1000')
  .meta({ description: 'How many times; 0 repeats until the caller hangs up.' });
const keys = z.string().regex(/^[0-9*#]+$/, 'must be keys: digits, * or #');

// Voice actions ---------------------------------------------------------------------------

const say = z
  .union(
    [
      text,
      z.strictObject({
        text,
        voice: z.string().min(1).optional(),
        language: z.string().min(2).optional(),
        loop: loop.optional(),
      }),
    ],
    { error: 'must be text, or { "text", "voice", "language", "loop" }' },
  )
  .meta({
    description: 'Speak text: "Hello" or { "text", "voice", "language", "loop" }.',
  });
const play = z
  .union(
    [
      https,
      z.strictObject({
        url: https.optional(),
        loop: loop.optional(),
        digits: z
          .string()
          .regex(/^[0-9*#wW]+$/, 'must be DTMF keys (0-9, *, #, w)')
          .optional(),
      }),
    ],
    {
      error: 'must be an https URL, or { "url", "loop", "digits" }',
    },
  )
  .meta({ description: 'Play an audio file (https URL), or DTMF tones with { "digits" }.' });
const pause = z
  .union([seconds(600), z.strictObject({ length: seconds(600) })], {
    error: 'must be seconds (1 to 600), or { "length" }',
  })
  .meta({ description: 'Silence, in seconds.' });
const promptAction = z.union([z.strictObject({ say }), z.strictObject({ play }), z.strictObject({ pause })], {
  error: 'must be one of say, play or pause',
});

const gather = z
  .strictObject({
    prompt: z
      .union([text, z.array(promptAction).min(1)])
      .optional()
      .meta({ description: 'What the caller hears while the line listens: text, or say/play/pause actions.' }),
    input: z.enum(['dtmf', 'speech', 'dtmf speech']).default('dtmf'),
    numDigits: z.int().min(1).max(32).optional(),
    timeout: seconds(60).optional(),
    finishOnKey: z.union([z.literal(''), z.string().regex(/^[0-9*#]$/, 'must be one key: a digit, * or #')]).optional(),
    hints: z
      .array(z.string().min(1))
      .optional()
      .meta({ description: 'Words and phrases the speech recognizer should expect.' }),
    language: z.string().min(2).optional(),
    branches: z.record(keys, stepName).default({}).meta({ description: 'Keys pressed → step, e.g. { "1": "sales" }.' }),
    keywords: z
      .record(z.string().min(1), stepName)
      .default({})
      .meta({ description: 'Words spoken → step, e.g. { "sales": "sales" }; case does not matter.' }),
    noInput: stepName
      .optional()
      .meta({ description: 'Step when the caller gives no input after the retries; default: otherwise.' }),
    otherwise: stepName.optional().meta({
      description: 'Step for input no branch expects, after the retries; default: the actions after this gather.',
    }),
    retries: z
      .int()
      .min(0)
      .max(5)
      .default(1)
      .meta({ description: 'How many times to ask again before noInput/otherwise.' }),
    reprompt: text.default("Sorry, I didn't get that.").meta({ description: 'Said before asking again.' }),
  })
  .meta({ description: 'Listen for keys or speech, then go where the branches say.' });

const dialTarget = z.union(
  [e164, z.string().regex(/^client:[A-Za-z0-9_.@-]{1,64}$/), z.string().regex(/^sips?:[^\s<>"]+@[^\s<>"]+$/)],
  {
    error: 'must be a number in E.164 (+15550100000), client:<name> or a sip: URI',
  },
);
const dial = z
  .strictObject({
    to: z
      .union([dialTarget, z.array(dialTarget).min(1).max(10)])
      .meta({ description: 'Who to ring: +1555…, client:alice, sip:bob@example.com, or a list.' }),
    mode: z
      .enum(['simultaneous', 'sequential'])
      .default('simultaneous')
      .meta({ description: 'A list rings all at once, or one after another.' }),
    timeout: seconds(600).optional().meta({ description: 'Seconds to ring each; Twilio default 30.' }),
    callerId: e164.optional(),
    record: z.boolean().default(false),
    whisper: text.optional().meta({ description: 'Said to the person who answers before the caller is connected.' }),
    answered: stepName.optional().meta({ description: 'Step after a connected call ends; default: the next actions.' }),
    busy: stepName.optional(),
    noAnswer: stepName.optional(),
    failed: stepName.optional(),
  })
  .meta({
    description:
      'Connect the caller; each outcome (answered, busy, noAnswer, failed) may go to a step, else the next actions run.',
  });

const notify = z.strictObject({
  to: z.union([e164, z.array(e164).min(1).max(10)]),
  text: text.default('Voicemail from {From}, {RecordingDuration} s: {RecordingUrl}').meta({
    description:
      'The SMS; {RecordingUrl}, {RecordingDuration} and the call’s {From}, {To} are filled in. The transcription follows in a second SMS when it arrives.',
  }),
});
const record = z
  .strictObject({
    maxLength: seconds(14_400).optional(),
    finishOnKey: z.union([z.literal(''), keys]).optional(),
    playBeep: z.boolean().default(true),
    transcribe: z.boolean().default(false),
    then: stepName.optional().meta({ description: 'Step after the recording; default: the next actions.' }),
    notify: notify.optional().meta({ description: 'Text the owner about each recording.' }),
  })
  .meta({ description: 'Record the caller (a voicemail); the recording is kept on the call’s record.' });

const sms = z
  .union([text, z.strictObject({ text, to: e164.optional().meta({ description: 'Default: the caller.' }) })], {
    error: 'must be text, or { "text", "to" }',
  })
  .meta({ description: 'Send a text during the call, to the caller or a fixed number.' });
const redirect = z
  .union([z.strictObject({ step: stepName }), z.strictObject({ url: https })], {
    error: 'must be { "step" } or { "url" }',
  })
  .meta({ description: 'Go to another step, or to an https URL that answers with TwiML you wrote.' });
const reject = z.strictObject({ reason: z.enum(['rejected', 'busy']).default('rejected') });

export const voiceAction = z.union(
  [
    z.strictObject({ say }),
    z.strictObject({ play }),
    z.strictObject({ pause }),
    z.strictObject({ gather }),
    z.strictObject({ dial }),
    z.strictObject({ record }),
    z.strictObject({ sms }),
    z.strictObject({ redirect }),
    z.strictObject({ hangup: z.literal(true) }),
    z.strictObject({ reject }),
  ],
  {
    error:
      'must be one action: say, play, pause, gather, dial, record, sms, redirect, hangup or reject, each alone in its object',
  },
);
export type VoiceAction = z.output<typeof voiceAction>;

const step = z.strictObject({
  description: z.string().optional(),
  actions: z.array(voiceAction).min(1, 'must have at least one action'),
});
export type Step = z.output<typeof step>;

// Routing ---------------------------------------------------------------------------------

const blocklist = z
  .strictObject({
    numbers: z.array(e164).default([]),
    prefixes: z.array(z.string().regex(/^\+\d{1,14}$/, 'must be + and digits, like +1900')).default([]),
  })
  .meta({ description: 'Callers and senders to turn away: whole numbers, or prefixes.' });

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];
const span = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time span like 09:00-17:30')
  .refine((value) => value.slice(0, 5) < value.slice(6), 'must end after it starts');
const hours = z
  .strictObject({
    timeZone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone, like America/New_York')
      .meta({ description: 'IANA time zone of the schedule.' }),
    weekly: z
      .partialRecord(z.enum(DAYS), z.array(span))
      .meta({ description: 'Open hours per day: { "mon": ["09:00-17:00"] }; a day not listed is closed.' }),
    closures: z
      .array(z.iso.date({ error: 'must be a date like 2026-12-25' }))
      .default([])
      .meta({ description: 'Dates (in the time zone) when the line is closed all day.' }),
  })
  .meta({ description: 'When the line is open: used by voice.closed and messaging rules with "hours".' });
export type Hours = z.output<typeof hours>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const voice = z
  .strictObject({
    entry: stepName.meta({ description: 'The step an incoming call starts at.' }),
    closed: stepName
      .optional()
      .meta({ description: 'The step instead of entry outside business hours (needs "hours").' }),
    blocked: z
      .union([z.enum(['reject', 'busy']), z.strictObject({ step: stepName })], {
        error: 'must be "reject", "busy" or { "step" }',
      })
      .default('reject')
      .meta({ description: 'A blocked caller: rejected (not answered, not billed), a busy tone, or a step.' }),
    steps: z.record(stepName, step),
  })
  .meta({ description: 'The voice flow: named steps, each a list of actions.' });

// Messaging -------------------------------------------------------------------------------

const words = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const rule = z
  .strictObject({
    description: z.string().optional(),
    keyword: words
      .optional()
      .meta({ description: 'The whole message is this word (or one of these); case does not matter.' }),
    startsWith: words.optional().meta({ description: 'The message starts with this word.' }),
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
    forwardText: text.default('From {From}: {Body}'),
  })
  .refine(
    (value) => [value.keyword, value.startsWith, value.pattern].filter((match) => match !== undefined).length <= 1,
    {
      message: 'give at most one of keyword, startsWith or pattern',
    },
  )
  .meta({ description: 'A rule: when the message matches (no match field: any message), reply and/or forward.' });
export type MessagingRule = z.output<typeof rule>;

const messaging = z
  .strictObject({
    rules: z.array(rule).default([]).meta({ description: 'Tried in order; the first that matches decides.' }),
    reply: text.optional().meta({ description: 'The reply when no rule matches; none when omitted.' }),
  })
  .meta({
    description:
      'The messaging flow. Opt-out and help keywords (STOP, HELP…) are never answered: carriers and Twilio do.',
  });

export const flowFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    blocklist: blocklist.optional(),
    hours: hours.optional(),
    voice: voice.optional().meta({ description: 'Default: say {VOICE_GREETING}.' }),
    messaging: messaging.optional().meta({ description: 'Default: reply {SMS_REPLY}.' }),
  })
  .meta({
    title: 'Phone flows',
    description: 'What the line does with calls and texts (Twilio Voice & SMS on Azure Functions).',
  });
export type FlowFile = z.output<typeof flowFileSchema>;
export type VoiceFlow = NonNullable<FlowFile['voice']>;
export type MessagingFlow = NonNullable<FlowFile['messaging']>;

/** What the app does without a flow file: the seed's greeting and reply (the shipped flows.json says the same). */
export const DEFAULT_FLOWS: FlowFile = flowFileSchema.parse({
  voice: { entry: 'greeting', steps: { greeting: { actions: [{ say: '{VOICE_GREETING}' }] } } },
  messaging: { reply: '{SMS_REPLY}' },
});

/** The JSON Schema editors use for flow files (committed as flows.schema.json). */
export function flowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(flowFileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
