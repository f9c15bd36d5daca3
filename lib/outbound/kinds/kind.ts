/**
 * The shape every kind of outbound message has (kinds.ts lists them): its own file, below both
 * the list and the kinds, so a kind's module does not import the list that imports it.
 */
import type * as z from 'zod';
import type { InvocationContext } from '@azure/functions';
import type { Settings } from '../../config/settings';
import type { Observation, Placed } from '../../records/model';

export interface OutboundKind<Payload> {
  payload: z.ZodType<Payload>;
  send(settings: Settings, origin: string, payload: Payload, context: InvocationContext): Promise<Placed>;
  /** What an earlier try created at Twilio after `since`, when that try got no answer; undefined when nothing. */
  find(settings: Settings, payload: Payload, since: Date): Promise<Placed | undefined>;
  /** What the record of the created call or message says. */
  observation(placed: Placed, payload: Payload): Observation;
  /** For log lines: `text to +15550100000`. */
  describe(payload: Payload): string;
}
