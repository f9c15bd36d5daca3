import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createOnce } from '../../../lib/outbound/handler';
import { invoke } from '../../support/invoke';
import { useSettings } from '../../support/settings';

const schema = z.strictObject({ to: z.string().regex(/^\+\d+$/, 'must be E.164') });
const URL_ = 'http://127.0.0.1:7071/api/things';

/** A handler that counts what it creates, and answers with the origin it was given. */
function counting() {
  const made: Array<{ origin: string; to: string }> = [];
  const handler = createOnce('things', schema, async (_settings, origin, body) => {
    made.push({ origin, to: body.to });
    return { status: 201, jsonBody: { n: made.length, origin } };
  });
  return { made, handler };
}
const post = (body: unknown, key?: string) => ({
  url: URL_,
  headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
  body: JSON.stringify(body),
});

describe('createOnce: a POST that makes something at Twilio (Azurite)', () => {
  useSettings({});

  it('creates once per Idempotency-Key, and answers a retry with the first answer', async () => {
    const { made, handler } = counting();
    const key = randomUUID();
    const first = await invoke(handler, post({ to: '+15550100199' }, key));
    const retry = await invoke(handler, post({ to: '+15550100199' }, key));
    expect(first.response.status).toBe(201);
    expect(retry.response.status).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(made).toHaveLength(1);
  });

  it('creates each time without a key, with the request’s origin for the callbacks', async () => {
    const { made, handler } = counting();
    await invoke(handler, post({ to: '+15550100199' }));
    await invoke(handler, post({ to: '+15550100199' }));
    expect(made).toEqual([
      { origin: 'http://127.0.0.1:7071', to: '+15550100199' },
      { origin: 'http://127.0.0.1:7071', to: '+15550100199' },
    ]);
  });

  it('refuses a body the schema refuses with a 400 naming the field, and creates nothing', async () => {
    const { made, handler } = counting();
    const answer = await invoke(handler, post({ to: 'tomorrow' }, randomUUID()));
    expect(answer.response.status).toBe(400);
    expect(answer.text).toContain('must be E.164');
    expect(answer.text).toContain('"field":"to"');
    expect(made).toEqual([]);
  });
});
