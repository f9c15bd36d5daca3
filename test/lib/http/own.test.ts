import { describe, expect, it } from 'vitest';
import { own } from '../../../lib/http/own';

describe('own', () => {
  it('finds what a record holds under a name, and nothing every object inherits', () => {
    const steps: Record<string, string> = { menu: 'Press 1', '1': 'sales' };
    expect(own(steps, 'menu')).toBe('Press 1');
    expect(own(steps, '1')).toBe('sales');
    for (const inherited of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      expect(own(steps, inherited), inherited).toBeUndefined();
    expect(own(steps, 'missing')).toBeUndefined();
  });
});
