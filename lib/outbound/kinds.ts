/**
 * What can travel on the outbound queue: one entry per kind of message, each in its own module
 * under kinds/ with its payload's schema, how it is sent, how an earlier try that got no answer
 * is found at Twilio, and what is recorded once it is sent. A later kind (a conversation's
 * question, a campaign's text or call) is one more module and one more line here.
 */
import * as z from 'zod';
// Every check without a message of its own says what was expected (not zod's "Invalid input").
import '../config/zodMessages';
import { callKind } from './kinds/call';
import { smsKind } from './kinds/sms';

export type { OutboundKind } from './kinds/kind';

export const OUTBOUND_KINDS = {
  sms: smsKind,
  call: callKind,
};

export type OutboundKindName = keyof typeof OUTBOUND_KINDS;
export type PayloadOf<Kind extends OutboundKindName> = z.output<(typeof OUTBOUND_KINDS)[Kind]['payload']>;

/**
 * One message on the queue. `key` makes it happen once however often it is enqueued (a
 * redelivered webhook) or delivered (the queue is at-least-once): derived from what caused it,
 * e.g. `recording|RE…|+1555…`. `origin` is the app's public origin, for status callback URLs.
 */
export interface QueuedMessage<Kind extends OutboundKindName = OutboundKindName> {
  kind: Kind;
  key: string;
  origin: string;
  payload: PayloadOf<Kind>;
}

export const queuedMessage = z.object({
  kind: z.enum(Object.keys(OUTBOUND_KINDS) as [OutboundKindName, ...OutboundKindName[]]),
  key: z.string().min(1).max(1024),
  origin: z.url(),
  payload: z.unknown(),
});

/** A text as a queued message: the shape every sender of texts uses. */
export const queuedText = (key: string, origin: string, payload: PayloadOf<'sms'>): QueuedMessage<'sms'> => ({
  kind: 'sms',
  key,
  origin,
  payload,
});

/** A call as a queued message (a call campaign's): the shape every placer of calls uses. */
export const queuedCall = (key: string, origin: string, payload: PayloadOf<'call'>): QueuedMessage<'call'> => ({
  kind: 'call',
  key,
  origin,
  payload,
});
