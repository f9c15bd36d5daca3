/**
 * `switch` (Studio's Split Based On): test a templated value against cases in order; the first
 * that matches goes to its step, else `otherwise`, else the next action. Regular expressions run
 * on the linear-time engine (pattern.ts), on at most MAX_PATTERN_TEXT characters: no caller's
 * text can stall the call.
 */
import * as z from 'zod';
import { stepName, templateText } from '../fields';
import { compilePattern, patternProblem } from '../pattern';
import { defineAction, type ActionProblem } from './action';

const TESTS = {
  equals: z.string(),
  notEquals: z.string(),
  anyOf: z.array(z.string()).min(1, 'must list at least one value'),
  contains: z.string().min(1, 'must not be empty'),
  startsWith: z.string().min(1, 'must not be empty'),
  isBlank: z.literal(true, { error: 'must be true' }),
  isNotBlank: z.literal(true, { error: 'must be true' }),
  lessThan: z.number({ error: 'must be a number' }),
  greaterThan: z.number({ error: 'must be a number' }),
  matches: z.string().min(1, 'must not be empty'),
} as const;
type TestName = keyof typeof TESTS;

const switchCase = z.union(
  (Object.keys(TESTS) as TestName[]).map((test) =>
    z.strictObject({ [test]: TESTS[test], step: stepName }),
  ) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  { error: `must be one test (${Object.keys(TESTS).join(', ')}) and a "step"` },
);
type Case = { step: string } & Partial<{ [T in TestName]: z.output<(typeof TESTS)[T]> }>;

const schema = z
  .strictObject({
    value: templateText.meta({ description: 'What to test, e.g. "{{ flow.variables.pin }}".' }),
    cases: z.array(switchCase).min(1, 'must have at least one case'),
    otherwise: stepName.optional().meta({ description: 'Step when no case matches; default: the next action.' }),
  })
  .meta({ description: 'Go to the step of the first case the value matches (Split Based On).' });
type Switch = { value: string; cases: Case[]; otherwise?: string | undefined };

const number = (text: string): number | undefined =>
  text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;

/** Whether `value` passes the case's test; text compared case-insensitively, as Studio does. */
export function matchesCase(value: string, test: Case): boolean {
  const text = value.trim().toLowerCase();
  const same = (other: string) => text === other.trim().toLowerCase();
  if (test.equals !== undefined) return same(test.equals);
  if (test.notEquals !== undefined) return !same(test.notEquals);
  if (test.anyOf !== undefined) return test.anyOf.some(same);
  if (test.contains !== undefined) return text.includes(test.contains.toLowerCase());
  if (test.startsWith !== undefined) return text.startsWith(test.startsWith.toLowerCase());
  if (test.isBlank) return text === '';
  if (test.isNotBlank) return text !== '';
  const n = number(value);
  if (test.lessThan !== undefined) return n !== undefined && n < test.lessThan;
  if (test.greaterThan !== undefined) return n !== undefined && n > test.greaterThan;
  if (test.matches !== undefined) return compilePattern(test.matches).test(value);
  return false;
}

/** The step the value leads to, if any. */
export function switchTarget(value: string, choice: Switch): string | undefined {
  return choice.cases.find((test) => matchesCase(value, test))?.step ?? choice.otherwise;
}

export const switchAction = defineAction({
  schema,
  ends: false,
  channels: ['voice', 'messaging'],
  steps: (value) => [
    ...(value.cases as Case[]).map((test, index) => ({ path: ['cases', index, 'step'], step: test.step })),
    ...(value.otherwise ? [{ path: ['otherwise'], step: value.otherwise }] : []),
  ],
  problems: (value) =>
    (value.cases as Case[]).flatMap((test, index): ActionProblem[] => {
      const problem = test.matches !== undefined ? patternProblem(test.matches) : undefined;
      return problem ? [{ path: ['cases', index, 'matches'], message: problem }] : [];
    }),
  write: () => undefined,
  run: (run, value) => {
    const tested = run.render(value.value);
    const next = switchTarget(tested, value as Switch);
    run.note({ kind: 'switch', name: run.name, outcome: next ?? 'no match' });
    return next;
  },
});
