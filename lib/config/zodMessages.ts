/**
 * What a value that fails a schema should have been, in words, for every check that has no
 * message of its own: zod's defaults ("Invalid input", "Too small: expected…") name neither
 * the field's meaning nor a fix. Installed for the whole process by importing this module;
 * the schema files (settings, flows, API bodies) do, and test/lib/config/zodMessages.test.ts
 * walks them to find any message that is still zod's.
 */
import { distance } from 'fastest-levenshtein';
import * as z from 'zod';

const TYPES: Record<string, string> = {
  string: 'text (a string)',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object { … }',
  array: 'a list [ … ]',
  record: 'an object { … }',
  date: 'a date',
  null: 'null',
};

const FORMATS: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  e164: 'a phone number in E.164, like +15550100000',
  date: 'a date like 2026-12-25',
  datetime: 'a date and time like 2026-12-25T09:00:00Z',
  uuid: 'a UUID',
};

const quote = (value: unknown) => JSON.stringify(value);

function size(origin: string, bound: number | bigint, unit: 'least' | 'most', inclusive = true): string {
  const at = inclusive ? `at ${unit}` : unit === 'least' ? 'more than' : 'less than';
  if (origin === 'string')
    return unit === 'least' && bound === 1 ? 'must not be empty' : `must be ${at} ${bound} characters`;
  if (origin === 'array' || origin === 'set')
    return unit === 'least' && bound === 1 ? 'must have at least one item' : `must have ${at} ${bound} items`;
  return `must be ${at} ${bound}`;
}

/** The closest of `values` to what was given, when it is a near miss (a typo). */
export function nearest(given: unknown, values: readonly string[]): string | undefined {
  if (typeof given !== 'string' || !given) return undefined;
  let best: { value: string; distance: number } | undefined;
  for (const value of values) {
    const far = distance(given.toLowerCase(), value.toLowerCase());
    if (!best || far < best.distance) best = { value, distance: far };
  }
  return best && best.distance > 0 && best.distance <= Math.max(2, Math.floor(given.length / 4))
    ? best.value
    : undefined;
}

/** "did you mean" for a near miss, else nothing. */
export const didYouMean = (given: unknown, values: readonly string[]): string => {
  const near = nearest(given, values);
  return near === undefined ? '' : `; did you mean ${quote(near)}?`;
};

/** The alternatives a union takes, from what each of its options said it must be. */
function unionMessage(errors: readonly (readonly z.core.$ZodIssue[])[]): string | undefined {
  const wanted = errors
    .map((issues) => issues.find((issue) => issue.path.length === 0)?.message)
    .filter((message): message is string => message !== undefined && message.startsWith('must be '))
    .map((message) => message.slice('must be '.length));
  const unique = [...new Set(wanted)];
  if (unique.length === 0) return undefined;
  return `must be ${unique.length === 1 ? unique[0] : `${unique.slice(0, -1).join(', ')} or ${unique.at(-1)}`}`;
}

export const expectedMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${TYPES[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return size(issue.origin, issue.minimum, 'least', issue.inclusive);
    case 'too_big':
      return size(issue.origin, issue.maximum, 'most', issue.inclusive);
    case 'invalid_format':
      return issue.format === 'regex'
        ? `must match the pattern ${issue.pattern ?? ''}`.trimEnd()
        : `must be ${FORMATS[issue.format] ?? `in ${issue.format} format`}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_value': {
      const values = issue.values.map((value) => quote(value));
      const choice = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      return `must be ${choice}${didYouMean(issue.input, issue.values.map(String))}`;
    }
    case 'unrecognized_keys':
      return `has unknown ${issue.keys.map(quote).join(', ')}`;
    case 'invalid_union':
      return unionMessage(issue.errors) ?? 'matches none of the shapes it may have';
    case 'invalid_key':
      return 'is not a valid key';
    case 'invalid_element':
      return 'has an invalid item';
    default:
      return undefined;
  }
};

z.config({ customError: expectedMessage });
