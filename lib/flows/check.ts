/**
 * What the schema alone cannot see in a flow file: steps named but not defined, steps nothing
 * leads to, redirects that go round without ever waiting for the caller, keywords that belong
 * to the carriers, settings a flow may not read. Each problem names its place in the file.
 */
import type * as z from 'zod';
import { didYouMean } from '../config/zodMessages';
import { actionOf, endsTwiml } from './actions';
import { CARRIER_KEYWORDS, normalizedKeyword } from './keywords';
import type { FlowFile, VoiceAction, VoiceFlow } from './schema';
import { templateProblems } from './template';

export interface FlowProblem {
  path: string;
  message: string;
  /** Where in the file (1-based), when the file's text is known. */
  line?: number;
  column?: number;
}

type Segment = PropertyKey;

/** `voice.steps.menu.actions[1].gather.branches.7` */
export function formatPath(path: readonly Segment[]): string {
  return (
    path.reduce<string>(
      (out, segment) =>
        typeof segment === 'number' ? `${out}[${segment}]` : out ? `${out}.${String(segment)}` : String(segment),
      '',
    ) || '(the file)'
  );
}

/**
 * Schema problems by their place in the file. Where a value could be one of several shapes (an
 * action is one of ten), the shape it was meant to be is the one that got furthest into it,
 * so the problem is named inside it rather than as "invalid input" on the whole action.
 */
export function zodFlowProblems(error: z.ZodError, input: unknown): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const visit = (issues: readonly z.core.$ZodIssue[], base: readonly Segment[]) => {
    for (const issue of issues) {
      const path = [...base, ...issue.path];
      if (issue.code === 'invalid_union' && issue.errors.length) {
        const depth = (option: readonly z.core.$ZodIssue[]) => Math.min(...option.map((inner) => inner.path.length));
        const ranked = [...issue.errors].sort((a, b) => depth(b) - depth(a));
        if (depth(ranked[0]!) > 0 && (ranked.length === 1 || depth(ranked[0]!) > depth(ranked[1]!))) {
          visit(ranked[0]!, path);
          continue;
        }
      }
      const message =
        issue.code === 'invalid_key'
          ? `is not a valid key: ${issue.issues[0]?.message ?? issue.message}`
          : valueAt(input, path) === undefined && issue.code !== 'custom'
            ? 'is required'
            : issue.message;
      problems.push({
        path: formatPath(path),
        message:
          issue.code === 'unrecognized_keys'
            ? `has unknown ${issue.keys.map((key) => `"${key}"`).join(', ')}`
            : message,
      });
    }
  };
  visit(error.issues, []);
  return problems;
}

function valueAt(input: unknown, path: readonly Segment[]): unknown {
  return path.reduce<unknown>(
    (value, segment) =>
      value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[segment] : undefined,
    input,
  );
}

/** Every step an action leads to, with where the reference is (from the action's kind on). */
function stepReferences(action: VoiceAction): Array<{ path: Segment[]; step: string }> {
  const { kind, module, value } = actionOf(action);
  return (module.steps?.(value) ?? []).map((ref) => ({ path: [kind, ...ref.path], step: ref.step }));
}

/** The action's own problems, with where they are (from the action's kind on). */
function actionProblems(action: VoiceAction, base: Segment[]): FlowProblem[] {
  const { kind, module, value } = actionOf(action);
  return (module.problems?.(value) ?? []).map((problem) => ({
    path: formatPath([...base, kind, ...problem.path]),
    message: problem.message,
  }));
}

function voiceProblems(file: FlowFile, voice: VoiceFlow): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const defined = new Set(Object.keys(voice.steps));
  const starts: Array<{ path: Segment[]; step: string }> = [{ path: ['voice', 'entry'], step: voice.entry }];
  if (voice.closed) starts.push({ path: ['voice', 'closed'], step: voice.closed });
  if (voice.machine) starts.push({ path: ['voice', 'machine'], step: voice.machine });
  if (voice.onError) starts.push({ path: ['voice', 'onError'], step: voice.onError });
  if (typeof voice.blocked === 'object') starts.push({ path: ['voice', 'blocked', 'step'], step: voice.blocked.step });
  if (voice.closed && !file.hours)
    problems.push({
      path: 'voice.closed',
      message: 'needs "hours" at the top of the file to know when the line is closed',
    });

  const edges = new Map<string, Array<{ path: Segment[]; step: string }>>();
  for (const [name, step] of Object.entries(voice.steps)) {
    step.actions.forEach((action, index) =>
      problems.push(...actionProblems(action, ['voice', 'steps', name, 'actions', index])),
    );
    edges.set(
      name,
      step.actions.flatMap((action, index) =>
        stepReferences(action).map((ref) => ({
          path: ['voice', 'steps', name, 'actions', index, ...ref.path],
          step: ref.step,
        })),
      ),
    );
  }
  for (const ref of [...starts, ...[...edges.values()].flat()]) {
    if (!defined.has(ref.step))
      problems.push({
        path: formatPath(ref.path),
        message: `unknown step "${ref.step}"${didYouMean(ref.step, [...defined])}`,
      });
  }

  const reached = new Set<string>();
  const queue = starts.map((start) => start.step).filter((step) => defined.has(step));
  while (queue.length) {
    const step = queue.pop()!;
    if (reached.has(step)) continue;
    reached.add(step);
    queue.push(...(edges.get(step) ?? []).map((ref) => ref.step).filter((next) => defined.has(next)));
  }
  for (const name of defined) {
    if (!reached.has(name))
      problems.push({
        path: `voice.steps.${name}`,
        message: 'is unreachable: no entry, branch, outcome or redirect leads to it',
      });
  }
  problems.push(...redirectLoops(voice));
  return problems;
}

/** A step whose first action that ends the TwiML goes to a step at once (a redirect) goes there without the caller doing anything: a cycle of those never ends. */
function redirectLoops(voice: VoiceFlow): FlowProblem[] {
  const next = new Map<string, { index: number; kind: string; step: string }>();
  for (const [name, step] of Object.entries(voice.steps)) {
    const index = step.actions.findIndex(endsTwiml);
    if (index < 0) continue;
    const { kind, module, value } = actionOf(step.actions[index]!);
    const to = module.goesTo?.(value);
    if (to !== undefined) next.set(name, { index, kind, step: to });
  }
  const problems: FlowProblem[] = [];
  const reported = new Set<string>();
  for (const start of next.keys()) {
    const path: string[] = [];
    let current: string | undefined = start;
    while (current !== undefined && next.has(current) && !path.includes(current)) {
      path.push(current);
      current = next.get(current)!.step;
    }
    if (current === start && !path.some((step) => reported.has(step))) {
      path.forEach((step) => reported.add(step));
      problems.push({
        path: `voice.steps.${start}.actions[${next.get(start)!.index}].${next.get(start)!.kind}`,
        message: `redirect loop: ${[...path, start].join(' → ')} never waits for the caller`,
      });
    }
  }
  return problems;
}

/** Every step a conversation's actions or a rule's `start` name is one of messaging.steps. */
function conversationProblems(file: FlowFile): FlowProblem[] {
  const steps = file.messaging?.steps ?? {};
  const defined = Object.keys(steps);
  const refs: Array<{ path: Segment[]; step: string }> = [];
  const problems: FlowProblem[] = [];
  file.messaging?.rules.forEach((rule, index) => {
    if (rule.start !== undefined) refs.push({ path: ['messaging', 'rules', index, 'start'], step: rule.start });
  });
  for (const [name, step] of Object.entries(steps))
    step.actions.forEach((action, index) => {
      const base = ['messaging', 'steps', name, 'actions', index];
      problems.push(...actionProblems(action, base));
      refs.push(...stepReferences(action).map((ref) => ({ path: [...base, ...ref.path], step: ref.step })));
    });
  for (const ref of refs)
    if (!Object.hasOwn(steps, ref.step))
      problems.push({
        path: formatPath(ref.path),
        message: `unknown step "${ref.step}" of messaging.steps${didYouMean(ref.step, defined)}`,
      });
  return problems;
}

function messagingProblems(file: FlowFile): FlowProblem[] {
  const problems: FlowProblem[] = conversationProblems(file);
  file.messaging?.rules.forEach((rule, index) => {
    if (rule.hours && !file.hours)
      problems.push({ path: `messaging.rules[${index}].hours`, message: 'needs "hours" at the top of the file' });
    for (const word of rule.keyword === undefined ? [] : [rule.keyword].flat()) {
      const carrier = CARRIER_KEYWORDS[normalizedKeyword(word)];
      if (carrier) {
        problems.push({
          path: `messaging.rules[${index}].keyword`,
          message: `"${word}" is ${carrier === 'help' ? 'a' : 'an'} ${carrier} keyword: carriers and Twilio answer it, a flow never does`,
        });
      }
    }
  });
  return problems;
}

/** Keys whose strings are not templates: regular expressions, and words matched as they are. */
const NOT_TEMPLATES = new Set(['pattern', 'matches', 'keyword', 'startsWith', 'description', 'hook', 'name']);

/** Every text of the flow is a template: each must parse and read only what a template may. */
function templateTextProblems(value: unknown, path: Segment[] = []): FlowProblem[] {
  if (typeof value === 'string') return templateProblems(value).map((message) => ({ path: formatPath(path), message }));
  if (Array.isArray(value)) return value.flatMap((item, index) => templateTextProblems(item, [...path, index]));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) =>
      NOT_TEMPLATES.has(key) ? [] : templateTextProblems(item, [...path, key]),
    );
  return [];
}

/** Problems of a flow file that passed the schema; none means it can run. */
export function flowProblems(file: FlowFile, { hooks }: { hooks?: readonly string[] } = {}): FlowProblem[] {
  return [
    ...(file.voice ? voiceProblems(file, file.voice) : []),
    ...messagingProblems(file),
    ...templateTextProblems({ voice: file.voice, messaging: file.messaging }),
    ...(hooks ? hookProblems({ voice: file.voice, messaging: file.messaging }, hooks) : []),
  ];
}

/** Every `code` action names a hook the app has (hooks/<name>.ts). */
function hookProblems(value: unknown, hooks: readonly string[], path: Segment[] = []): FlowProblem[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => hookProblems(item, hooks, [...path, index]));
  if (!value || typeof value !== 'object') return [];
  const code = (value as { code?: { hook?: unknown } }).code;
  if (typeof code?.hook === 'string' && !hooks.includes(code.hook)) {
    const known = hooks.length ? `the hooks are ${hooks.join(', ')}` : 'there are none';
    return [
      {
        path: formatPath([...path, 'code', 'hook']),
        message: `no hook "${code.hook}": write hooks/${code.hook}.ts (${known})`,
      },
    ];
  }
  return Object.entries(value).flatMap(([key, item]) => hookProblems(item, hooks, [...path, key]));
}
