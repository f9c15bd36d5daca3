import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { AppError, BadRequestError } from '../../../lib/errors';
import {
  answerRepeat,
  canonicalJson,
  IDEMPOTENCY_KEY_HEADER,
  once,
  REPLAYED_HEADER,
  type KeyEntity,
} from '../../../lib/outbound/idempotency';
import { baseSettings } from '../../support/settings';

// No storage is reached by these rules: a connection to a port nothing listens on proves it.
const settings = loadSettings({
  ...baseSettings,
  AzureWebJobsStorage:
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
});
const context = new InvocationContext();
const post = (headers: Record<string, string> = {}) =>
  new HttpRequest({ url: 'http://localhost:7071/api/calls', method: 'POST', headers });

const claim: KeyEntity = {
  partitionKey: 'calls|abc',
  rowKey: '',
  state: 'in-flight',
  fingerprint: 'same',
  startedAt: new Date().toISOString(),
};

describe('once', () => {
  it('just does the work when the request has no key', async () => {
    const answer = await once(settings, context, post(), 'calls', {}, async () => ({ status: 201 }));
    expect(answer).toEqual({ status: 201 });
  });

  it('refuses an empty key or one over 255 characters, naming the header, before any storage', async () => {
    for (const key of ['', 'k'.repeat(256)]) {
      const attempt = once(settings, context, post({ [IDEMPOTENCY_KEY_HEADER]: key }), 'calls', {}, async () => {
        throw new Error('the work must not run');
      });
      await expect(attempt).rejects.toBeInstanceOf(BadRequestError);
      await expect(attempt).rejects.toMatchObject({
        status: 400,
        options: { problems: [{ field: IDEMPOTENCY_KEY_HEADER, message: 'must be 1 to 255 characters' }] },
      });
    }
  });
});

describe('canonicalJson', () => {
  it('gives the same text for the same body in any key order, nested too', () => {
    expect(canonicalJson({ to: '+1', say: 'hi', extra: { b: 1, a: [2, { d: 1, c: 2 }] } })).toBe(
      canonicalJson({ extra: { a: [2, { c: 2, d: 1 }], b: 1 }, say: 'hi', to: '+1' }),
    );
  });

  it('drops undefined members, as JSON does, and keeps array order', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });
});

describe('answerRepeat', () => {
  it('replays the first answer, marked as replayed', () => {
    const done: KeyEntity = { ...claim, state: 'done', status: 201, body: '{"sid":"CA1"}' };
    expect(answerRepeat(done, claim)).toEqual({
      status: 201,
      body: '{"sid":"CA1"}',
      headers: { 'Content-Type': 'application/json; charset=utf-8', [REPLAYED_HEADER]: 'true' },
    });
  });

  it('refuses the key with another body: 422 naming the header', () => {
    const other: KeyEntity = { ...claim, state: 'done', status: 201, fingerprint: 'other' };
    expect(() => answerRepeat(other, claim)).toThrow(
      expect.objectContaining({
        status: 422,
        options: expect.objectContaining({ problems: [expect.objectContaining({ field: IDEMPOTENCY_KEY_HEADER })] }),
      }),
    );
  });

  it('answers 409 while the first request works, then 504 "outcome unknown" once it must have died', () => {
    const answerTo = (earlier: KeyEntity) => {
      try {
        answerRepeat(earlier, claim);
      } catch (error) {
        if (error instanceof AppError) return { status: error.status, extra: error.options.extra };
        throw error;
      }
      throw new Error('answered');
    };
    expect(answerTo({ ...claim })).toEqual({ status: 409, extra: undefined });
    const longAgo = new Date(Date.now() - 60 * 60 * 1000).toISOString();
    expect(answerTo({ ...claim, startedAt: longAgo })).toMatchObject({ status: 504, extra: { outcome: 'unknown' } });
  });
});
