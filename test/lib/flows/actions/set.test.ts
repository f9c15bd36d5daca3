import { describe, expect, it } from 'vitest';
import { refusal, runAction } from './support';

describe('set', () => {
  it('gives variables the values written, rendering templates from the call, and goes on', async () => {
    const ran = await runAction('set', { caller: '{{ trigger.call.From }}', tries: 0, vip: true, note: null });
    expect(ran.next).toBeUndefined();
    expect(ran.state.variables).toEqual({ caller: '+15550100199', tries: 0, vip: true, note: null });
  });

  it('marks the variables named secret, so the record never shows them', async () => {
    const ran = await runAction('set', { variables: { pin: '1234', name: 'Ada' }, secret: ['pin'] });
    expect(ran.state.variables).toEqual({ pin: '1234', name: 'Ada' });
    expect(ran.state.secret).toEqual(['pin']);
  });

  it('takes a variable called "variables" in the short form as a variable', async () => {
    const ran = await runAction('set', { variables: 'plain text' });
    expect(ran.state.variables).toEqual({ variables: 'plain text' });
  });

  it('refuses a name that is not a variable name, and a value that is not a template or JSON scalar', () => {
    expect(refusal([{ set: { '1st': 'x' } }])).toBeDefined();
    expect(refusal([{ set: { list: [1, 2] } }])).toBeDefined();
  });
});
