import { describe, expect, it } from 'vitest';
import { logText, oneLine } from '../../../lib/http/logText';
import { own } from '../../../lib/http/own';

describe('logText', () => {
  it('keeps a plain token as it is and quotes anything else, so a value is one line', () => {
    expect(logText('CA0123')).toBe('CA0123');
    expect(logText('https://voice.example.com/api/twilio/sms?a=1')).toBe(
      'https://voice.example.com/api/twilio/sms?a=1',
    );
    expect(logText('CA1\n[2026-11-29] fake line')).toBe('"CA1\\n[2026-11-29] fake line"');
    expect(logText('say "hi"')).toBe('"say \\"hi\\""');
    expect(logText('')).toBe('""');
    expect(logText(undefined)).toBe('?');
    expect(logText('x'.repeat(300))).toBe(JSON.stringify(`${'x'.repeat(200)}…`));
  });
});

describe('oneLine', () => {
  it('escapes the control characters of a message and leaves the rest as it is', () => {
    expect(oneLine('TypeError: bad\n[2026] fake\u2028line')).toBe('TypeError: bad\\n[2026] fake\\u2028line');
  });
});

describe('own', () => {
  it('finds only what a record holds itself', () => {
    const steps: Record<string, number> = { menu: 1 };
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])
      expect(own(steps, name)).toBeUndefined();
    expect(own(steps, 'menu')).toBe(1);
  });
});
