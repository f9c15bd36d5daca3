/**
 * `code` (Studio's Run Function): run one of the owner's hooks (hooks/<name>.ts) in this
 * process, with a deadline. It may set variables and choose the next step. A throw or a timeout
 * is the `failed` outcome: logged with its stack, never heard by the caller.
 */
import * as z from 'zod';
import { beforeDeadline, DEADLINES } from '../../config/deadlines';
import { HOOK_NAME, loadHook, type HookResult } from '../hooks';
import { stepName } from '../fields';
import { defineAction, lazySchema, outcomeSteps } from './action';

const schema = lazySchema(() =>
  z
    .strictObject({
      hook: z.string().regex(HOOK_NAME, 'must be a hook name: the file hooks/<name>.ts without .ts'),
      timeoutMs: z
        .int('must be whole milliseconds')
        .min(100, 'must be at least 100 ms')
        .max(DEADLINES.flowActionMaxMs, `must be at most ${DEADLINES.flowActionMaxMs} ms`)
        .default(DEADLINES.flowActionMs),
      ok: stepName
        .optional()
        .meta({ description: 'Step when the hook returns without `next`; default: the next action.' }),
      failed: stepName.optional().meta({
        description:
          'Step when the hook throws or runs out of time; default: the flow’s onError, else the next action.',
      }),
    })
    .meta({ description: 'Run a hook: your TypeScript in hooks/<name>.ts, written with defineHook.' }),
);

class HookTimeout extends Error {
  override name = 'HookTimeout';
}

/** The hook's result, or a throw when it fails or outlives its deadline. */
export async function runWithin(
  hook: string,
  ms: number,
  input: Omit<Parameters<Awaited<ReturnType<typeof loadHook>>>[0], 'signal'>,
  signal: AbortSignal,
): Promise<HookResult> {
  const fn = await loadHook(hook);
  const late = () => new HookTimeout(`hook ${hook} did not finish within ${ms} ms`);
  if (signal.aborted) throw late();
  // A hook that throws at once rejects like one that fails later.
  const work = new Promise<HookResult | void>((done) => done(fn({ ...input, signal })));
  return (await beforeDeadline(work, signal, late)) ?? {};
}

export const code = defineAction({
  get schema() {
    return schema();
  },
  ends: false,
  channels: ['voice', 'messaging'],
  steps: outcomeSteps,
  write: () => undefined,
  run: async (run, value) => {
    const started = performance.now();
    const signal = run.deadline(value.timeoutMs);
    try {
      const result = await runWithin(
        value.hook,
        value.timeoutMs,
        { trigger: run.trigger, variables: structuredClone(run.state.variables), setting: run.setting },
        signal,
      );
      const set = result.set ?? {};
      for (const [name, given] of Object.entries(set)) run.state.variables[name] = structuredClone(given);
      const next = result.next ?? value.ok;
      run.note({ kind: 'code', name: value.hook, outcome: 'ok', ms: Math.round(performance.now() - started), next });
      return next;
    } catch (error) {
      run.log('error', `Hook ${value.hook} failed`, error);
      const next = value.failed ?? run.onError;
      run.note({
        kind: 'code',
        name: value.hook,
        outcome: 'failed',
        ms: Math.round(performance.now() - started),
        next,
        reason: error instanceof Error ? error.name : 'error',
      });
      return next;
    }
  },
});
