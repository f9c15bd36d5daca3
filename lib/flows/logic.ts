/**
 * Logic actions (set, switch, http, code) as a call and a text both run them: on the flow's
 * state, within the request's budget, each leaving a line for the record. A failure, or a
 * change that would make the state too large, is the action's `failed` outcome: it goes to the
 * action's failed step, else the flow's onError, else on.
 */
import type { InvocationContext } from '@azure/functions';
import { DEADLINES } from '../config/deadlines';
import { describeError } from '../errors';
import { MAX_FLOW_STATE_BYTES, type FlowState } from '../records/flowState';
import type { ActionEffect, ActionModule, ActionRun } from './actions/action';
import { render, type TemplateScope } from './template';

export interface LogicContext {
  state: FlowState;
  scope: TemplateScope;
  trigger: Record<string, string>;
  effects: ActionEffect[];
  /** performance.now() when the request began. */
  started: number;
  onError: string | undefined;
  hasStep(step: string): boolean;
  context?: Pick<InvocationContext, 'warn' | 'error'> | undefined;
  /** How the record names where an action is: `menu` (a step), `rule 2` (a messaging rule). */
  where: string;
}

/** Runs one logic action; answers the step (or named reply) to go to, or undefined for the next action. */
export async function runLogic(
  logic: LogicContext,
  kind: string,
  module: ActionModule,
  value: unknown,
  at: number,
): Promise<string | undefined> {
  const before = structuredClone(logic.state);
  const run = runner(logic, kind, at);
  let next: string | undefined;
  try {
    next = await module.run!(run, value as never);
  } catch (error) {
    run.log('error', `${run.name} failed`, error);
    return (value as { failed?: string }).failed ?? logic.onError;
  }
  const bytes = Buffer.byteLength(JSON.stringify(logic.state));
  if (bytes <= MAX_FLOW_STATE_BYTES) return next;
  restore(logic.state, before);
  run.log('error', `${run.name}: the variables would take ${bytes} bytes, more than ${MAX_FLOW_STATE_BYTES}`);
  logic.effects.push({ kind, name: run.name, outcome: 'failed', reason: 'variables too large' });
  return (value as { failed?: string }).failed ?? logic.onError;
}

/**
 * Puts the state back as it was, in the same objects: the templates' scope holds
 * `state.variables` and `state.widgets` themselves, so what the call says next reads it too.
 */
function restore(state: FlowState, before: FlowState): void {
  for (const key of ['variables', 'widgets'] as const) {
    for (const name of Object.keys(state[key])) delete state[key][name];
    Object.assign(state[key], before[key]);
  }
  state.secret.splice(0, state.secret.length, ...before.secret);
}

function runner(logic: LogicContext, kind: string, at: number): ActionRun {
  const budgetLeft = () => DEADLINES.flowTurnMs - (performance.now() - logic.started);
  return {
    step: logic.where,
    at,
    name: `${kind} at ${logic.where}[${at}]`,
    state: logic.state,
    trigger: logic.trigger,
    render: (template) => render(template, logic.scope),
    renderUrl: (template) => render(template, encodedScope(logic.scope)),
    setting: (name) => process.env[name],
    inAzure: Boolean(process.env.WEBSITE_INSTANCE_ID),
    // Whole milliseconds: AbortSignal.timeout refuses a fraction, and what is left of the budget is one.
    deadline: (ms) => AbortSignal.timeout(Math.max(1, Math.floor(Math.min(ms, budgetLeft())))),
    onError: logic.onError,
    hasStep: (step) => logic.hasStep(step),
    note: (effect) => logic.effects.push(effect),
    log: (level, message, error) =>
      logic.context?.[level](
        error === undefined ? message : `${message}: ${describeError(error)}`,
        ...(error instanceof Error && error.stack ? [error.stack] : []),
      ),
  };
}

/** The scope with every value URL-encoded: a template in a URL's path or query cannot change its shape. */
function encodedScope(scope: TemplateScope): TemplateScope {
  const encode = (value: unknown): unknown =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? encodeURIComponent(String(value))
      : Array.isArray(value)
        ? value.map(encode)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, encode(inner)]))
          : value;
  return encode(scope) as TemplateScope;
}

/** `http crm: ok 200 in 143 ms → vip`; an action with no name of its own: `switch at known[0]: no match`. */
export function effectLine(effect: ActionEffect): string {
  const who = effect.name.startsWith(`${effect.kind} at `) ? effect.name : `${effect.kind} ${effect.name}`;
  return [
    `${who}: ${effect.outcome}`,
    effect.status ? ` ${effect.status}` : '',
    effect.reason ? ` (${effect.reason})` : '',
    effect.ms !== undefined ? ` in ${effect.ms} ms` : '',
    effect.next ? ` → ${effect.next}` : '',
  ].join('');
}
