import * as z from 'zod';
import { placedObservation } from '../../records/observations';
import { callTwilio, getTwilioClient } from '../../twilio/client';
import type { OutboundKind } from './kind';
import { keepPlacedCallVariables } from '../placedCallVariables';
import { placeCall } from '../rest';

const payload = z.object({
  to: z.string().min(1),
  from: z.string().min(1),
  /** What Twilio fetches when the callee answers (a flow's step); none: the voice webhook, at the flow's entry. */
  answerUrl: z.url().optional(),
  /** The flow variables the call starts with. */
  variables: z.record(z.string(), z.unknown()).optional(),
});

/** How many of the sender's latest calls to the recipient are searched for a call whose answer was lost. */
const SEARCHED = 50;

/** A call that runs a flow step, placed by the same code as POST /api/calls with `flow`. */
export const callKind: OutboundKind<z.output<typeof payload>> = {
  payload,
  async send(settings, origin, call, context) {
    const placed = await placeCall(settings, origin, { to: call.to, from: call.from }, call.answerUrl);
    await keepPlacedCallVariables(settings, placed.sid, { variables: call.variables }, context);
    return placed;
  },
  async find(settings, call, since) {
    const client = await getTwilioClient(settings);
    const recent = await callTwilio(
      () => client.calls.list({ to: call.to, from: call.from, limit: SEARCHED }),
      `GET /api/calls?number=${encodeURIComponent(call.to)}`,
    );
    // Calls carry no body to match: a call to the number from the sender since the try is that try's.
    const placed = recent.find((one) => one.dateCreated >= since);
    return placed && { sid: placed.sid, status: placed.status, to: placed.to, from: placed.from };
  },
  observation: (placed) => placedObservation('call', placed),
  describe: (call) => `call to ${call.to}`,
};
