import { describe, expect, it } from 'vitest';
import { matchesCase, switchAction } from '../../../../lib/flows/actions/switch';
import { refusal, runAction } from './support';

describe('switch: each test', () => {
  it('compares text trimmed and case-insensitively, as Studio does', () => {
    expect(matchesCase(' YES ', { equals: 'yes', step: 's' })).toBe(true);
    expect(matchesCase('no', { notEquals: 'yes', step: 's' })).toBe(true);
    expect(matchesCase('Maybe', { anyOf: ['yes', 'maybe'], step: 's' })).toBe(true);
    expect(matchesCase('I want SUPPORT', { contains: 'support', step: 's' })).toBe(true);
    expect(matchesCase('Order 12', { startsWith: 'order', step: 's' })).toBe(true);
    expect(matchesCase('Order 12', { startsWith: '12', step: 's' })).toBe(false);
  });

  it('tells blank from not blank, whitespace counting as blank', () => {
    expect(matchesCase('  ', { isBlank: true, step: 's' })).toBe(true);
    expect(matchesCase('x', { isNotBlank: true, step: 's' })).toBe(true);
    expect(matchesCase('', { isNotBlank: true, step: 's' })).toBe(false);
  });

  it('compares numbers only when the value is one', () => {
    expect(matchesCase('3', { lessThan: 5, step: 's' })).toBe(true);
    expect(matchesCase('12.5', { greaterThan: 12, step: 's' })).toBe(true);
    expect(matchesCase('', { lessThan: 5, step: 's' })).toBe(false);
    expect(matchesCase('three', { lessThan: 5, step: 's' })).toBe(false);
  });

  it('matches a regular expression on the linear-time engine', () => {
    expect(matchesCase('PIN 1234', { matches: '\\d{4}', step: 's' })).toBe(true);
    expect(matchesCase('a'.repeat(40) + '!', { matches: '(a+)+$', step: 's' })).toBe(false);
  });
});

describe('switch: the step it goes to', () => {
  const choice = {
    value: '{{ trigger.call.From }}',
    cases: [
      { startsWith: '+44', step: 'uk' },
      { startsWith: '+1', step: 'us' },
      { startsWith: '+1555', step: 'never' },
    ],
    otherwise: 'elsewhere',
  };

  it('is the first case the rendered value matches, noted on the record', async () => {
    const ran = await runAction('switch', choice);
    expect(ran.next).toBe('us');
    expect(ran.effects).toEqual([{ kind: 'switch', name: 'switch at menu[0]', outcome: 'us' }]);
  });

  it('is otherwise when no case matches, else the next action', async () => {
    expect((await runAction('switch', { ...choice, cases: [{ equals: 'x', step: 'a' }] })).next).toBe('elsewhere');
    const none = await runAction('switch', { value: 'x', cases: [{ equals: 'y', step: 'a' }] });
    expect(none.next).toBeUndefined();
    expect(none.effects[0]!.outcome).toBe('no match');
  });

  it('names every step it leads to, and refuses a pattern the engine cannot run', () => {
    expect(switchAction.steps!(switchAction.schema.parse(choice))).toEqual([
      { path: ['cases', 0, 'step'], step: 'uk' },
      { path: ['cases', 1, 'step'], step: 'us' },
      { path: ['cases', 2, 'step'], step: 'never' },
      { path: ['otherwise'], step: 'elsewhere' },
    ]);
    expect(
      switchAction.problems!(switchAction.schema.parse({ value: 'x', cases: [{ matches: '(a', step: 'a' }] })),
    ).toHaveLength(1);
    expect(refusal([{ switch: { value: 'x', cases: [{ equals: 'a', contains: 'b', step: 'a' }] } }])).toBeDefined();
  });
});
