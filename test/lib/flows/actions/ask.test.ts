import { describe, expect, it } from 'vitest';
import { ask, durationSeconds } from '../../../../lib/flows/actions/ask';

describe('ask: a question by text that waits for the reply', () => {
  it('reads durations 90s, 30m, 1h, 2d, and nothing else', () => {
    expect([durationSeconds('90s'), durationSeconds('30m'), durationSeconds('1h'), durationSeconds('2d')]).toEqual([
      90, 1800, 3600, 172_800,
    ]);
    for (const bad of ['1 h', '0m', '1.5h', 'h', '1w', '01h']) expect(durationSeconds(bad), bad).toBeUndefined();
  });

  it('waits 1h by default, from 1m to 7d, and names its steps for the checks', () => {
    expect(ask.schema.parse({ text: 'Rate us?' })).toEqual({ text: 'Rate us?', timeout: '1h' });
    expect(ask.schema.safeParse({ text: 'Rate us?', timeout: '59s' }).success).toBe(false);
    expect(ask.schema.safeParse({ text: 'Rate us?', timeout: '8d' }).success).toBe(false);
    expect(ask.schema.safeParse({ text: 'Rate us?', timeout: '7d' }).success).toBe(true);
    expect(ask.steps!(ask.schema.parse({ text: 'Q', next: 'why', noReply: 'remind' }))).toEqual([
      { path: ['next'], step: 'why' },
      { path: ['noReply'], step: 'remind' },
    ]);
    expect(ask.channels).toEqual(['messaging']);
    expect(ask.ends).toBe(true);
  });
});
