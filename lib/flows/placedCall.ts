/**
 * A call the app places that runs a flow (`POST /api/calls` with `flow`): the callee hears the
 * step it names, through the flow's own step route, as if a redirect had led there. Without a
 * step the call is answered by the voice webhook at the entry step, as a call with no `say`,
 * `twiml` or `url` always was (no blocklist or hours: those are about who calls in).
 */
import { BadRequestError } from '../errors';
import { own } from '../http/own';
import type { CallFlow } from '../outbound/schemas';
import { callbackPath } from './actions/action';
import type { FlowFile } from './schema';

/** The URL Twilio fetches when the callee answers, or undefined for the voice webhook; a 400 naming what is wrong. */
export function placedCallUrl(flows: FlowFile, origin: string, flow: CallFlow): string | undefined {
  if (flow.variables !== undefined)
    throw new BadRequestError(400, 'Invalid request', [
      {
        field: 'flow.variables',
        message: 'are not supported yet: a flow has no variables to give them to (issue 20 adds them)',
      },
    ]);
  if (flow.step === undefined) return undefined;
  const steps = flows.voice?.steps ?? {};
  if (!own(steps, flow.step))
    throw new BadRequestError(400, 'Invalid request', [
      {
        field: 'flow.step',
        message: `is not a step of the voice flow: ${JSON.stringify(flow.step)} (steps: ${Object.keys(steps).join(', ') || 'none'})`,
      },
    ]);
  return `${origin}${callbackPath('step', { step: flow.step, turn: 1 })}`;
}
