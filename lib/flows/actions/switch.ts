/**
 * `switch` (Studio's Split Based On): test a templated value against cases in order; the first
 * that matches goes to its step, else `otherwise`, else the next action. A case's text (equals,
 * notEquals, anyOf, contains, startsWith) is a template too, as in Studio, so a value can be
 * compared with a variable; `matches` is a literal pattern checked at start, and lessThan and
 * greaterThan are numbers. Regular expressions run on the linear-time engine (pattern.ts), on at
 * most MAX_PATTERN_TEXT characters: no caller's text can stall the call.
 */
import * as z from 'zod';
import { stepName, templateText } from '../fields';
import { compilePattern, patternProblem } from '../pattern';
import { templateProblems } from '../template';
import { defineAction, lazySchema, type ActionProblem } from './action';

const caseText = (description: string) => templateText.meta({ description: `${description}; a template` });

const tests = () => ({
  equals: caseText('Passes when the value is this text, case ignored'),
  notEquals: caseText('Passes when the value is not this text, case ignored'),
  anyOf: z.array(caseText('One of the texts')).min(1, 'must list at least one value'),
  contains: caseText('Passes when the value contains this text, case ignored').min(1, 'must not be empty'),
  startsWith: caseText('Passes when the value starts with this text, case ignored').min(1, 'must not be empty'),
  isBlank: z.literal(true, { error: 'must be true' }),
  isNotBlank: z.literal(true, { error: 'must be true' }),
  lessThan: z.number({ error: 'must be a number' }),
  greaterThan: z.number({ error: 'must be a number' }),
  matches: z.string().min(1, 'must not be empty'),
});
type Tests = ReturnType<typeof tests>;
type TestName = keyof Tests;

const switchCase = lazySchema(() => {
  const TESTS = tests();
  return z.union(
    (Object.keys(TESTS) as TestName[]).map((test) =>
      z.strictObject({ [test]: TESTS[test], step: stepName }),
    ) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
    { error: `must be one test (${Object.keys(TESTS).join(', ')}) and a "step"` },
  );
});
type Case = { step: string } & Partial<{ [T in TestName]: z.output<Tests[T]> }>;

const schema = lazySchema(() =>
  z
    .strictObject({
      value: templateText.meta({ description: 'What to test, e.g. "{{ flow.variables.pin }}".' }),
      cases: z.array(switchCase()).min(1, 'must have at least one case'),
      otherwise: stepName.optional().meta({ description: 'Step when no case matches; default: the next action.' }),
    })
    .meta({ description: 'Go to the step of the first case the value matches (Split Based On).' }),
);
type Switch = { value: string; cases: Case[]; otherwise?: string | undefined };

const number = (text: string): number | undefined =>
  text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;

/** The case tests whose text is a template, rendered before the value is tested. */
const TEMPLATED = ['equals', 'notEquals', 'contains', 'startsWith'] as const;

/** The case with its texts rendered. */
function renderedCase(test: Case, render: (template: string) => string): Case {
  const rendered: Case = { ...test };
  for (const name of TEMPLATED) if (test[name] !== undefined) rendered[name] = render(test[name]);
  if (test.anyOf !== undefined) rendered.anyOf = test.anyOf.map(render);
  return rendered;
}

/**
 * Whether `value` passes the case's test (its texts already rendered); text compared
 * case-insensitively, as Studio does. A contains or startsWith whose text rendered empty passes
 * nothing: an unset variable never makes every value match.
 */
export function matchesCase(value: string, test: Case): boolean {
  const text = value.trim().toLowerCase();
  const same = (other: string) => text === other.trim().toLowerCase();
  const part = (other: string) => other.trim().toLowerCase();
  if (test.equals !== undefined) return same(test.equals);
  if (test.notEquals !== undefined) return !same(test.notEquals);
  if (test.anyOf !== undefined) return test.anyOf.some(same);
  if (test.contains !== undefined) return part(test.contains) !== '' && text.includes(part(test.contains));
  if (test.startsWith !== undefined) return part(test.startsWith) !== '' && text.startsWith(part(test.startsWith));
  if (test.isBlank) return text === '';
  if (test.isNotBlank) return text !== '';
  const n = number(value);
  if (test.lessThan !== undefined) return n !== undefined && n < test.lessThan;
  if (test.greaterThan !== undefined) return n !== undefined && n > test.greaterThan;
  if (test.matches !== undefined) return compilePattern(test.matches).test(value);
  return false;
}

/** The step the value leads to, if any; `render` renders the cases' texts. */
export function switchTarget(
  value: string,
  choice: Switch,
  render: (template: string) => string = (text) => text,
): string | undefined {
  return choice.cases.find((test) => matchesCase(value, renderedCase(test, render)))?.step ?? choice.otherwise;
}

export const switchAction = defineAction({
  get schema() {
    return schema();
  },
  ends: false,
  channels: ['voice', 'messaging'],
  steps: (value) => [
    ...(value.cases as Case[]).map((test, index) => ({ path: ['cases', index, 'step'], step: test.step })),
    ...(value.otherwise ? [{ path: ['otherwise'], step: value.otherwise }] : []),
  ],
  problems: (value) =>
    (value.cases as Case[]).flatMap((test, index): ActionProblem[] => {
      const problem = test.matches !== undefined ? patternProblem(test.matches) : undefined;
      // The file's check skips every startsWith (a messaging rule's is literal words); a case's is a template.
      const template = test.startsWith !== undefined ? templateProblems(test.startsWith) : [];
      return [
        ...(problem ? [{ path: ['cases', index, 'matches'], message: problem }] : []),
        ...template.map((message) => ({ path: ['cases', index, 'startsWith'], message })),
      ];
    }),
  write: () => undefined,
  run: (run, value) => {
    const tested = run.render(value.value);
    const next = switchTarget(tested, value as Switch, (template) => run.render(template));
    run.note({ kind: 'switch', name: run.name, outcome: next ?? 'no match' });
    return next;
  },
});
