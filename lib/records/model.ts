/**
 * The shape of a record and of its events, declared once. The entity mapping, the merge
 * rules and the read projection all follow from these declarations, so adding a field is
 * one line in FACTS (and the observation that brings it); the compiler checks the rest.
 */
import * as z from 'zod';
// Every check without a message of its own says what was expected (not zod's "Invalid input").
import '../config/zodMessages';
import type { Kind } from './status';

/** A list is kept in one table property, as JSON. */
const list = z.preprocess((value) => (typeof value === 'string' ? JSON.parse(value) : value), z.array(z.string()));

type MergeRule =
  /** The first value seen stays: later deliveries of the same fact do not rewrite it. */
  | 'first'
  /** The highest value seen (a call's SequenceNumber). */
  | 'max'
  /** Every value seen, once each, in the order first seen (a call's recordings). */
  | 'union';

/** What a record knows about a call or message besides its identity and status. */
export const FACTS = {
  from: { schema: z.string(), merge: 'first' },
  to: { schema: z.string(), merge: 'first' },
  sequence: { schema: z.number().int(), merge: 'max' },
  duration: { schema: z.number().int(), merge: 'first' },
  errorCode: { schema: z.number().int(), merge: 'first' },
  body: { schema: z.string(), merge: 'first' },
  mediaUrls: { schema: list, merge: 'first' },
  /** URLs of the call's recordings (a flow's record action, a recorded dial). */
  recordings: { schema: list, merge: 'union' },
  /** When the call's recordings were deleted at Twilio (RECORDING_RETENTION_DAYS, retention.ts). */
  recordingsDeletedAt: { schema: z.string(), merge: 'first' },
  /** What a text the app sent on its own is: `sms` (a call's sms action), `forward`, `voicemail`, `transcription`. */
  purpose: { schema: z.string(), merge: 'first' },
  /** The call or message that made the app send this text. */
  causeSid: { schema: z.string(), merge: 'first' },
} as const satisfies Record<string, { schema: z.ZodType; merge: MergeRule }>;

export type FactName = keyof typeof FACTS;
export type Facts = { [Name in FactName]?: z.output<(typeof FACTS)[Name]['schema']> | undefined };

const optionalFacts = Object.fromEntries(
  Object.entries(FACTS).map(([name, fact]) => [name, fact.schema.optional()]),
) as {
  [Name in FactName]: z.ZodOptional<(typeof FACTS)[Name]['schema']>;
};

export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const EVENT_SOURCES = [
  'api',
  'voice-webhook',
  'sms-webhook',
  'status-callback',
  'flow',
  'recording-callback',
  /** Twilio's debugger webhook: an error Twilio met with this call or message (debugger.ts). */
  'debugger',
] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** A record, as stored and as callers read it. */
export const recordSchema = z.object({
  sid: z.string(),
  kind: z.enum(['call', 'message']),
  direction: z.enum(DIRECTIONS),
  status: z.string(),
  ...optionalFacts,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Fields cut to what storage holds (a text longer than a table property can be). */
  truncated: list.optional(),
});
export type CallOrMessage = z.output<typeof recordSchema>;

/**
 * What a flow did at one turn of a call, or with one message (lib/flows): the step entered,
 * the input heard, a dial's outcome, a recording, the messaging rule that decided.
 */
const flowFacts = {
  /** The call's turn: 0 for the first answer, then one per request the flow led to. */
  turn: z.number().int().optional(),
  step: z.string().optional(),
  digits: z.string().optional(),
  speech: z.string().optional(),
  dialed: z.string().optional(),
  outcome: z.string().optional(),
  rule: z.string().optional(),
  recordingSid: z.string().optional(),
  recordingUrl: z.string().optional(),
  recordingDuration: z.number().int().optional(),
  transcription: z.string().optional(),
  /** What Twilio said of an error it met (its debugger event): the message, the URL and its answer. */
  twilioError: z.string().optional(),
  /** What the flow's http and code actions (and switches) did this turn: `http crm: ok 200 in 143 ms → vip`. */
  effects: list.optional(),
  /** The TwiML a turn was answered with: Twilio asking the same turn again gets it again. */
  twiml: z.string().optional(),
  /** Texts this turn put on the outbound queue: `voicemail to +15550100000`; each record says it once sent. */
  texts: list.optional(),
};
export type FlowFacts = { [Name in keyof typeof flowFacts]?: z.output<(typeof flowFacts)[Name]> | undefined };

/** One entry of a record's history. */
export const eventSchema = z.object({
  status: z.string(),
  source: z.enum(EVENT_SOURCES),
  at: z.string(),
  sequence: z.number().int().optional(),
  /** Twilio's own time of the event (a call callback's Timestamp; the table's own Timestamp is another thing). */
  twilioTimestamp: z.string().optional(),
  duration: z.number().int().optional(),
  errorCode: z.number().int().optional(),
  ...flowFacts,
});
export type RecordEvent = z.output<typeof eventSchema>;

/** One thing Twilio or our API told us about a call or message. */
export type Observation = Facts &
  FlowFacts & {
    kind: Kind;
    sid: string;
    direction: Direction;
    status: string;
    twilioTimestamp?: string | undefined;
    source: EventSource;
    /** Deliveries with the same key are the same event: a redelivery records nothing new. */
    eventKey: string;
  };

/** What Twilio answered when our API created a call or message: the first thing its record knows. */
export interface Placed {
  sid: string;
  status: string;
  to: string;
  from: string;
}

/** The record with the observation's facts applied by each fact's rule; the status is the status rules' business. */
export function mergeFacts(record: CallOrMessage, observation: Observation): CallOrMessage {
  const next: Record<string, unknown> = { ...record };
  for (const [name, fact] of Object.entries(FACTS) as Array<[FactName, (typeof FACTS)[FactName]]>) {
    const seen = observation[name];
    const current = next[name];
    if (seen === undefined) continue;
    if (fact.merge === 'union')
      next[name] = [...new Set([...((current as string[] | undefined) ?? []), ...(seen as string[])])];
    else if (current === undefined || (fact.merge === 'max' && (seen as number) > (current as number)))
      next[name] = seen;
  }
  return next as CallOrMessage;
}
