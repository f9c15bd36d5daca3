/**
 * A call's flow state for one request: read before the flow runs, written after it answered,
 * and only for a flow that keeps state (logic actions, or templates that read variables or
 * results): the others never touch storage for it. A state that cannot be read leaves the call
 * to the flow's onError step when it has one, else to an empty state; one that cannot be
 * written is logged. Either way the caller is answered.
 */
import type { InvocationContext } from '@azure/functions';
import { DEADLINES, storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { describeError } from '../errors';
import { logText } from '../http/logText';
import { emptyFlowState, readFlowState, writeFlowState, type FlowState } from '../records/flowState';
import type { FlowFile } from './schema';

const STATEFUL_ACTIONS = new Set(['set', 'switch', 'http', 'code']);
const READS_STATE = /\{\{[^}]*\b(flow\.variables|widgets)\b|\{%[^%]*\b(flow\.variables|widgets)\b/;
const keepsState = new WeakMap<FlowFile, boolean>();

/** Whether the flow has anything to remember between turns. */
export function flowKeepsState(flows: FlowFile): boolean {
  let keeps = keepsState.get(flows);
  if (keeps === undefined) {
    const actions = Object.values(flows.voice?.steps ?? {}).flatMap((step) => step.actions);
    keeps =
      actions.some((action) => STATEFUL_ACTIONS.has(Object.keys(action)[0]!)) ||
      READS_STATE.test(JSON.stringify(flows.voice ?? {}));
    keepsState.set(flows, keeps);
  }
  return keeps;
}

export interface CallSession {
  state: FlowState;
  /** The state could not be read: the flow starts at its onError step, when it has one. */
  unavailable: boolean;
  /** Writes the state when the turn changed it; never throws. */
  save(): Promise<void>;
}

/**
 * The call's state for this request. `entry`: the request is the call's first (the voice
 * webhook), which has no turn to be answered once by: its changes are kept once, marked
 * `entered`; that request again (Twilio's retry, or a captured request sent back) keeps none,
 * so the variables the call has built (a PIN's wrong tries) are never set back. A state written
 * before it (a placed call's variables) is not so marked.
 */
export async function openCallSession(
  settings: Settings,
  flows: FlowFile,
  callSid: string | undefined,
  context: Pick<InvocationContext, 'warn'>,
  { entry = false }: { entry?: boolean } = {},
): Promise<CallSession> {
  const idle: CallSession = { state: emptyFlowState(), unavailable: false, save: async () => undefined };
  if (!callSid || !flowKeepsState(flows)) return idle;
  let stored: { state: FlowState; etag: string | undefined };
  try {
    stored = await readFlowState(settings, 'call', callSid, storageDeadline(DEADLINES.flowStateMs));
  } catch (error) {
    context.warn(
      `Call ${logText(callSid)}: its variables could not be read (${describeError(error)}); the flow goes on without them`,
    );
    return { ...idle, unavailable: true };
  }
  const before = JSON.stringify(stored.state);
  const state = stored.state;
  const entered = state.entered === true;
  return {
    state,
    unavailable: false,
    save: async () => {
      if (JSON.stringify(state) === before) return;
      if (entry && entered) {
        context.warn(
          `Call ${logText(callSid)}: its first request came again; the variables keep the values the call gave them`,
        );
        return;
      }
      if (entry) state.entered = true;
      try {
        const written = await writeFlowState(
          settings,
          'call',
          callSid,
          state,
          stored.etag,
          storageDeadline(DEADLINES.flowStateMs),
        );
        if (!written)
          context.warn(
            `Call ${logText(callSid)}: another request changed its variables first; this turn's changes are not kept`,
          );
      } catch (error) {
        context.warn(`Call ${logText(callSid)}: this turn's variables were not saved: ${describeError(error)}`);
      }
    },
  };
}
