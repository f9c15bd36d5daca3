import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../lib/errors';
import { OWNER_QUERY, queryOf, signedQuery } from '../../../lib/twilio/query';

const gather = queryOf(['step', 'at', 'try', 'turn']);
const base = 'https://voice.example.com/api/twilio/flow/gather';

const problem = (url: string, rule = gather) => {
  try {
    signedQuery(url, rule);
  } catch (error) {
    if (error instanceof BadRequestError) return error.options.problems?.[0];
    throw error;
  }
  return undefined;
};

describe('signedQuery', () => {
  it('reads each name once, decoded as a form is', () => {
    expect(Object.fromEntries(signedQuery(`${base}?step=sales+team&at=0&try=1&turn=%32`, gather))).toEqual({
      step: 'sales team',
      at: '0',
      try: '1',
      turn: '2',
    });
    expect(signedQuery(`${base}?`, gather).size).toBe(0);
    expect(signedQuery(base, gather).size).toBe(0);
  });

  it('refuses what no URL of ours has, naming it', () => {
    expect(problem(`${base}?step=a&step=b`)).toEqual({ field: 'step', message: 'appears more than once' });
    expect(problem(`${base}?step=a&x=1`)).toEqual({ field: 'x', message: 'is not a query parameter this route takes' });
    expect(problem(`${base}?step=a&`)?.message).toBe('has an empty query parameter (a stray &)');
    expect(problem(`${base}?step=a${'&'.repeat(1500)}&step=b`)?.message).toBe(
      'has an empty query parameter (a stray &)',
    );
    expect(problem(`${base}?step=a#x`)?.message).toMatch(/fragment/);
    expect(problem(`${base}?step=%E0%A4%A`)?.message).toMatch(/malformed percent-encoding/);
    expect(problem(`${base}?__proto__=1`)).toMatchObject({ field: '__proto__' });
  });

  it("lets the owner's own query through on a console URL: any names, at most 10, once each", () => {
    expect(signedQuery(`${base}?tenant=7`, OWNER_QUERY).get('tenant')).toBe('7');
    const eleven = Array.from({ length: 11 }, (_, i) => `p${i}=1`).join('&');
    expect(problem(`${base}?${eleven}`, OWNER_QUERY)?.message).toBe('has 11 parameters; this route takes at most 10');
    expect(problem(`${base}?a=1&a=1`, OWNER_QUERY)).toEqual({ field: 'a', message: 'appears more than once' });
  });
});
