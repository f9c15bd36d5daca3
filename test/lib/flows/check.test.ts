import { describe, expect, it } from 'vitest';
import { flowProblems, formatPath } from '../../../lib/flows/check';
import { flowFileSchema } from '../../../lib/flows/schema';

const problemsOf = (file: object) => flowProblems(flowFileSchema.parse(file));
const HOURS = { timeZone: 'UTC', weekly: { mon: ['09:00-17:00'] } };

describe('check: what the schema alone cannot see', () => {
  it('names paths as they are written in the file', () => {
    expect(formatPath(['voice', 'steps', 'menu', 'actions', 1, 'gather', 'branches', '7'])).toBe(
      'voice.steps.menu.actions[1].gather.branches.7',
    );
    expect(formatPath([])).toBe('(the file)');
  });

  it('passes a flow whose steps all lead somewhere known', () => {
    expect(
      problemsOf({
        voice: {
          entry: 'menu',
          steps: {
            menu: { actions: [{ gather: { prompt: 'Press 1', branches: { '1': 'sales' } } }] },
            sales: { actions: [{ say: 'Sales' }] },
          },
        },
      }),
    ).toEqual([]);
  });

  it('finds a step named but not defined, where it is named', () => {
    expect(
      problemsOf({
        voice: { entry: 'menu', steps: { menu: { actions: [{ gather: { branches: { '1': 'sales' } } }] } } },
      }),
    ).toContainEqual({ path: 'voice.steps.menu.actions[0].gather.branches.1', message: 'unknown step "sales"' });
    expect(problemsOf({ voice: { entry: 'nowhere', steps: { menu: { actions: [{ say: 'hi' }] } } } })).toContainEqual({
      path: 'voice.entry',
      message: 'unknown step "nowhere"',
    });
  });

  it('finds a step nothing leads to', () => {
    expect(
      problemsOf({
        voice: { entry: 'a', steps: { a: { actions: [{ say: 'a' }] }, orphan: { actions: [{ say: 'o' }] } } },
      }),
    ).toEqual([
      { path: 'voice.steps.orphan', message: 'is unreachable: no entry, branch, outcome or redirect leads to it' },
    ]);
  });

  it('counts closed, onError and a blocked step as ways in', () => {
    expect(
      problemsOf({
        hours: HOURS,
        voice: {
          entry: 'a',
          closed: 'c',
          onError: 'e',
          blocked: { step: 'b' },
          steps: {
            a: { actions: [{ say: 'a' }] },
            b: { actions: [{ say: 'b' }] },
            c: { actions: [{ say: 'c' }] },
            e: { actions: [{ say: 'e' }] },
          },
        },
      }),
    ).toEqual([]);
  });

  it('finds redirects that go round without waiting for the caller, once per loop', () => {
    const problems = problemsOf({
      voice: {
        entry: 'a',
        steps: {
          a: { actions: [{ say: 'a' }, { redirect: { step: 'b' } }] },
          b: { actions: [{ redirect: { step: 'a' } }] },
        },
      },
    });
    expect(problems).toEqual([
      { path: 'voice.steps.a.actions[1].redirect', message: 'redirect loop: a → b → a never waits for the caller' },
    ]);
  });

  it('takes a loop through a step that waits for the caller as no loop', () => {
    expect(
      problemsOf({
        voice: {
          entry: 'a',
          steps: {
            a: { actions: [{ gather: { prompt: 'Press', branches: { '1': 'b' } } }, { redirect: { step: 'b' } }] },
            b: { actions: [{ redirect: { step: 'a' } }] },
          },
        },
      }),
    ).toEqual([]);
  });

  it('refuses "closed" without hours to say when the line is closed', () => {
    expect(
      problemsOf({ voice: { entry: 'a', closed: 'a', steps: { a: { actions: [{ say: 'a' }] } } } }),
    ).toContainEqual({
      path: 'voice.closed',
      message: 'needs "hours" at the top of the file to know when the line is closed',
    });
    expect(problemsOf({ messaging: { rules: [{ hours: 'open', reply: 'hi' }] } })).toEqual([
      { path: 'messaging.rules[0].hours', message: 'needs "hours" at the top of the file' },
    ]);
  });

  it('refuses a carrier keyword as a rule keyword, however it is written', () => {
    const problems = problemsOf({
      messaging: {
        rules: [
          { keyword: ['hours', ' stop! '], reply: 'x' },
          { keyword: 'Help', reply: 'y' },
        ],
      },
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      'messaging.rules[0].keyword',
      'messaging.rules[1].keyword',
    ]);
    expect(problems[0]!.message).toContain('an opt-out keyword');
    expect(problems[1]!.message).toContain('a help keyword');
    expect(problemsOf({ messaging: { rules: [{ keyword: 'STOPS', reply: 'x' }] } })).toEqual([]);
  });

  it('refuses templates that do not parse or read what a template may not, where they are', () => {
    const problems = problemsOf({
      voice: { entry: 'a', steps: { a: { actions: [{ say: 'Hello {{ process.env.TWILIO_AUTH_TOKEN }}' }] } } },
      messaging: { reply: 'Hi {{ trigger.message.From ' },
    });
    expect(problems.map((problem) => problem.path)).toEqual(['voice.steps.a.actions[0].say', 'messaging.reply']);
    expect(problems[0]!.message).toContain('"process" is not something a template can read');
    expect(problems[1]!.message).toContain('is not a valid template');
  });

  it('reads patterns and keywords as they are, not as templates', () => {
    expect(
      problemsOf({
        messaging: {
          rules: [
            { pattern: '^\\d{5}$', reply: 'zip' },
            { keyword: '{{', reply: 'x' },
          ],
        },
      }),
    ).toEqual([]);
  });
});
