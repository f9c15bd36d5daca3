/** A call's first request and a flow of one step, for the action modules' tests. */
import { loadSettings } from '../../../../lib/config/settings';
import { ACTIONS } from '../../../../lib/flows/actions';
import type { ActionModule } from '../../../../lib/flows/actions/action';
import { runLogic, type LogicContext } from '../../../../lib/flows/logic';
import { templateScope } from '../../../../lib/flows/scope';
import { emptyFlowState } from '../../../../lib/records/flowState';
import { flowFileSchema, type FlowFile } from '../../../../lib/flows/schema';
import { answerCall, type CallText } from '../../../../lib/flows/voice';
import { baseSettings } from '../../../support/settings';

export const settings = loadSettings(baseSettings);

export const call = {
  CallSid: 'CA0123456789abcdef0123456789abcdef',
  From: '+15550100199',
  To: '+15005550006',
  CallStatus: 'in-progress',
};

/** A voice flow whose entry step `menu` has these actions, and the other steps named (each says its name). */
export const flowOf = (actions: object[], others: string[] = []): FlowFile =>
  flowFileSchema.parse({
    voice: {
      entry: 'menu',
      steps: {
        menu: { actions },
        ...Object.fromEntries(others.map((name) => [name, { actions: [{ say: name }] }])),
      },
    },
  });

export const XML = '<?xml version="1.0" encoding="UTF-8"?>';

/** The TwiML a new call gets from a flow whose entry step has these actions (without the XML declaration). */
export async function twimlOf(actions: object[], others: string[] = [], outbox?: CallText[]): Promise<string> {
  const answer = await answerCall(flowOf(actions, others), call, settings, undefined, { outbox });
  return answer.twiml.slice(XML.length);
}

/** The first problem the flow schema finds in a flow with these actions, as its author reads it. */
export function refusal(actions: object[]): string | undefined {
  const parsed = flowFileSchema.safeParse({ voice: { entry: 'menu', steps: { menu: { actions } } } });
  return parsed.success ? undefined : parsed.error.issues.map((issue) => issue.message).join('; ');
}

/** Where a logic action (set, switch, http, code) runs: the call's state, its request, and the lines it logged. */
export function logicContext(onError?: string, trigger: Record<string, string> = { From: '+15550100199' }) {
  const state = emptyFlowState();
  const lines: string[] = [];
  const logic: LogicContext = {
    state,
    scope: templateScope('call', trigger, settings, state),
    trigger,
    effects: [],
    started: performance.now(),
    onError,
    hasStep: () => true,
    context: { warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) },
    where: 'menu',
  };
  return { logic, lines };
}

/** Runs one logic action as a step runs it; answers the step it goes to, and what it did to the call. */
export async function runAction(kind: 'set' | 'switch' | 'http' | 'code', input: object, onError?: string) {
  const { logic, lines } = logicContext(onError);
  const module = ACTIONS[kind] as unknown as ActionModule;
  const next = await runLogic(logic, kind, module, module.schema.parse(input), 0);
  return { next, state: logic.state, effects: logic.effects, lines };
}
