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
import { describeError } from '../errors';
import { emptyFlowState, serializedFlowState } from '../records/flowState';
import type { FlowFile } from './schema';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A 400 naming each variable whose name a template could not read, or all of them when they are too large. */
export function variablesProblems(variables: Record<string, unknown> | undefined): void {
  if (variables === undefined) return;
  const problems = Object.keys(variables)
    .filter((name) => !VARIABLE_NAME.test(name))
    .map((name) => ({
      field: `flow.variables.${name}`,
      message: 'must be a variable name: a letter or _, then letters, digits or _ (64 at most)',
    }));
  try {
    serializedFlowState({ ...emptyFlowState(), variables });
  } catch (error) {
    problems.push({ field: 'flow.variables', message: describeError(error).replace(/^[^:]*: /, '') });
  }
  if (problems.length) throw new BadRequestError(400, 'Invalid request', problems);
}

/** The URL Twilio fetches when the callee answers, or undefined for the voice webhook; a 400 naming what is wrong. */
export function placedCallUrl(flows: FlowFile, origin: string, flow: CallFlow): string | undefined {
  variablesProblems(flow.variables);
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
