import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../lib/errors';
import { problemsOf } from '../../support/problems';
import { flowPlace, flowQuery } from '../../../lib/flows/place';

const query = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('flowPlace', () => {
  it('reads every name its kind of callback carries, numbers as numbers', () => {
    expect(flowPlace('gather', query({ step: 'menu', at: '0', try: '1', turn: '2' }))).toEqual({
      step: 'menu',
      at: 0,
      try: 1,
      turn: 2,
    });
    expect(flowPlace('recording', query({ step: 'vm', at: '3' }))).toEqual({ step: 'vm', at: 3 });
  });

  it('refuses a missing name with a 400 naming it', () => {
    expect(problemsOf(() => flowPlace('dial', query({ step: 'menu', at: '0', turn: '1' })))).toEqual([
      { field: 'leg', message: 'is missing' },
    ]);
  });

  it('takes numbers only as our TwiML writes them: no sign, exponent, leading zero, nor below the least', () => {
    for (const turn of ['-1', '1e2', '01', '1.0', '0', '1000000', ' 1'])
      expect(
        problemsOf(() => flowPlace('step', query({ step: 'menu', turn }))),
        turn,
      ).toEqual([{ field: 'turn', message: 'must be a whole number from 1 to 999999, as the app writes it' }]);
    expect(flowPlace('step', query({ step: 'menu', turn: '999999' })).turn).toBe(999999);
  });
});

describe('flowQuery', () => {
  it('answers 404 for a kind of callback the app does not have, an inherited name included', () => {
    for (const kind of ['sing', 'constructor'])
      expect(() => flowQuery(new HttpRequest({ url: 'https://x/api', method: 'POST', params: { kind } }))).toThrow(
        NotFoundError,
      );
    expect(
      flowQuery(new HttpRequest({ url: 'https://x/api', method: 'POST', params: { kind: 'gather' } })),
    ).toBeDefined();
  });
});
