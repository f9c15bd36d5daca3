import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { e164, https, keys, loop, seconds, stepName, text, variableName } from '../../../lib/flows/fields';

const message = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues[0]?.message;

describe('the pieces of the flow schema', () => {
  it('say to the flow’s author what was expected', () => {
    expect(message(https, 'http://example.com')).toBe('must be an https URL');
    expect(message(e164, '555-0100')).toBe('must be a phone number in E.164, like +15550100000');
    expect(message(stepName, '1st')).toMatch(/^must be a step name/);
    expect(message(variableName, 'my-var')).toMatch(/^must be a variable name/);
    expect(message(text, '')).toBe('must not be empty');
    expect(message(seconds(60), 61)).toBe('must be at most 60 seconds');
    expect(message(seconds(60), 1.5)).toBe('must be whole seconds');
    expect(message(keys, '12a')).toBe('must be keys: digits, * or #');
    expect(message(loop, -1)).toBe('must be 0 or more');
  });

  it('take what Twilio and the templates take', () => {
    for (const [schema, value] of [
      [https, 'https://example.com/a.mp3'],
      [e164, '+15550100000'],
      [stepName, 'after-hours_2'],
      [variableName, '_tries'],
      [keys, '1*#'],
      [loop, 0],
      [text, 'x'.repeat(4000)],
    ] as const)
      expect(schema.safeParse(value).success, String(value)).toBe(true);
    expect(text.safeParse('x'.repeat(4001)).success).toBe(false);
    expect(stepName.safeParse('a'.repeat(65)).success).toBe(false);
  });
});
