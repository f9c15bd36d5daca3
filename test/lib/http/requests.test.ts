import { HttpRequest } from '@azure/functions';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { field, formParams, MAX_BODY_BYTES, readForm, readJson, zodProblems } from '../../../lib/http/requests';

const post = (body: string, headers: Record<string, string>) =>
  new HttpRequest({ url: 'http://localhost/api/x', method: 'POST', headers, body: { string: body } });
const json = (body: string) => post(body, { 'content-type': 'application/json; charset=utf-8' });
const schema = z.strictObject({ to: z.string(), count: z.number().optional() });

describe('readJson', () => {
  it('parses and validates a JSON body', async () => {
    expect(await readJson(json('{"to":"+1"}'), schema)).toEqual({ to: '+1' });
  });

  it('refuses another media type with 415 naming both', async () => {
    await expect(readJson(post('{}', { 'content-type': 'text/plain' }), schema)).rejects.toMatchObject({
      status: 415,
      publicMessage: 'Content-Type must be application/json, not text/plain',
    });
    const untyped = new HttpRequest({ url: 'http://localhost/api/x', method: 'POST' });
    await expect(readJson(untyped, schema)).rejects.toMatchObject({
      status: 415,
      publicMessage: 'Content-Type must be application/json',
    });
  });

  it('refuses a body over the limit with 413, by its declared length or its real one', async () => {
    const big = `{"to":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
    await expect(readJson(json(big), schema)).rejects.toMatchObject({ status: 413 });
    const declared = post('{}', { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) });
    await expect(readJson(declared, schema)).rejects.toMatchObject({ status: 413 });
  });

  it('refuses text that is not JSON, and names every bad field', async () => {
    await expect(readJson(json('{to:'), schema)).rejects.toMatchObject({
      status: 400,
      publicMessage: 'Body is not valid JSON',
    });
    await expect(readJson(json('{"count":"2","extra":1,"more":2}'), schema)).rejects.toMatchObject({
      status: 400,
      options: {
        problems: [
          { field: 'to', message: expect.any(String) },
          { field: 'count', message: expect.any(String) },
          { field: 'extra', message: 'is not a known field' },
          { field: 'more', message: 'is not a known field' },
        ],
      },
    });
  });
});

describe('zodProblems', () => {
  it('names the body itself when the problem is not a field', () => {
    const result = schema.safeParse('text');
    expect(zodProblems(result.error!)).toEqual([{ field: '(body)', message: expect.any(String) }]);
  });
});

describe('forms', () => {
  it('keeps every field, a repeated one as a list, for the signature check', () => {
    expect(formParams('To=%2B15550100000&Digits=1&Digits=2&Empty=')).toEqual({
      To: '+15550100000',
      Digits: ['1', '2'],
      Empty: '',
    });
  });

  it('gives the first value of a repeated field where one is wanted', () => {
    const params = formParams('Digits=1&Digits=2');
    expect(field(params, 'Digits')).toBe('1');
    expect(field(params, 'Missing')).toBeUndefined();
  });

  it('reads a form body only as application/x-www-form-urlencoded', async () => {
    const form = post('CallSid=CA1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(await readForm(form)).toEqual({ CallSid: 'CA1' });
    await expect(readForm(json('{}'))).rejects.toMatchObject({ status: 415 });
  });
});
