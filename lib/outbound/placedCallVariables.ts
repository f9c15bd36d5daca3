import type { InvocationContext } from '@azure/functions';
import { DEADLINES, storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { describeError } from '../errors';
import { emptyFlowState, writeFlowState } from '../records/flowState';
import type { CallFlow } from './schemas';

/**
 * The variables a placed call starts with, kept as its flow state once Twilio has given it a
 * SID (before the callee can answer, in practice: ringing takes seconds). A call whose
 * variables could not be kept still rings; the log says so and its flow sees none.
 */
export async function keepPlacedCallVariables(
  settings: Settings,
  sid: string,
  flow: CallFlow | undefined,
  context: Pick<InvocationContext, 'warn'>,
): Promise<void> {
  if (!flow?.variables || !Object.keys(flow.variables).length) return;
  try {
    const state = { ...emptyFlowState(), variables: flow.variables };
    await writeFlowState(settings, 'call', sid, state, undefined, storageDeadline(DEADLINES.flowStateMs));
  } catch (error) {
    context.warn(`Call ${sid}: its variables could not be kept (${describeError(error)}); its flow runs without them`);
  }
}
