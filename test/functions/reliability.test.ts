import { postSigned } from '../support/signed';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { DEADLINES, PRODUCTION_DEADLINES, shortenDeadlinesForTests } from '../../lib/config/deadlines';
import { startAppHost } from '../support/appHost';
import { startFakeTwilio } from '../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

/**
 * Breaking things on purpose, over real HTTP through the local host: an Azurite of this
 * file's own that is frozen with SIGSTOP (storage that accepts connections and never
 * answers), and a fake Twilio that reads a request and never answers it.
 */
let app: Awaited<ReturnType<typeof startAppHost>>;
let azurite: RunningAzurite;
let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
const hostLog: string[] = [];

/**
 * Runs what waits a deadline out with the same waits as in production, shorter (see
 * lib/config/deadlines.ts); what follows, such as the retry once storage is back, runs with the
 * production numbers again, so a slow machine does not turn a recovery into a timeout.
 */
async function waitingOut<T>(run: () => Promise<T>): Promise<T> {
  const productionDeadlines = shortenDeadlinesForTests({
    storageMs: 1_500,
    twilioRequestMs: 2_000,
    healthProbeMs: 500,
  });
  try {
    return await run();
  } finally {
    productionDeadlines();
  }
}

beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  app = await startAppHost((level, name, message) => hostLog.push(`${level} ${name}: ${message}`));
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
  await azurite?.stop();
});
beforeEach(() => {
  useSettings({ AzureWebJobsStorage: azurite.connectionString, TWILIO_API_BASE_URL: fake.url });
  fake.received.length = 0;
});

const to = '+15550002222';
const sid = (prefix: 'CA' | 'SM') => `${prefix}${randomBytes(16).toString('hex')}`;
const callsAtFake = () => fake.received.filter((request) => request.path.endsWith('/Calls.json')).length;

async function signedPost(path: string, fields: Record<string, string>) {
  const url = `${app.url}${path}`;
  const started = performance.now();
  const response = await postSigned(url, fields);
  return { status: response.status, text: await response.text(), ms: performance.now() - started };
}

async function post(path: string, body: unknown, key?: string) {
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'Idempotency-Key': key }) },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('storage that stops answering (Azurite frozen with SIGSTOP)', () => {
  it('a signed SMS is answered 503 within the deadline, health says 503, fallbacks still answer, and the retry after it resumes is recorded', async () => {
    const sms = { MessageSid: sid('SM'), From: '+15550001111', To: '+15005550006', Body: 'frozen' };
    process.kill(azurite.pid, 'SIGSTOP');
    await waitingOut(async () => {
      try {
        const frozen = await signedPost('/api/twilio/sms', sms);
        expect(frozen.status).toBe(503);
        expect(frozen.ms).toBeGreaterThanOrEqual(DEADLINES.storageMs - 100);
        // What the webhook took beyond its storage deadline, on top of the production deadline, fits in 10 s.
        expect(frozen.ms - DEADLINES.storageMs + PRODUCTION_DEADLINES.storageMs).toBeLessThan(10_000);

        const health = await fetch(`${app.url}/api/health`);
        expect(health.status).toBe(503);
        expect(await health.json()).toMatchObject({
          status: 'storage-unreachable',
          storageReach: { reachable: false, problem: expect.stringMatching(/no answer within/) },
        });

        const smsFallback = await signedPost('/api/twilio/sms/fallback', { ...sms, ErrorCode: '11200' });
        expect([smsFallback.status, smsFallback.text]).toEqual([
          200,
          expect.stringContaining('<Message>Hey, thanks for the ping!'),
        ]);
        const voiceFallback = await signedPost('/api/twilio/voice/fallback', {
          CallSid: sid('CA'),
          From: '+15550001111',
          To: '+15005550006',
          ErrorCode: '11200',
        });
        expect([voiceFallback.status, voiceFallback.text]).toEqual([
          200,
          expect.stringContaining('<Say>Hello Monkey!</Say>'),
        ]);
        expect(hostLog.some((line) => line.startsWith('warning smsFallback:') && line.includes(sms.MessageSid))).toBe(
          true,
        );
        const unsigned = await fetch(`${app.url}/api/twilio/voice/fallback`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'CallSid=x',
        });
        expect(unsigned.status).toBe(403);

        const key = `frozen-${randomBytes(4).toString('hex')}`;
        const call = await post('/api/calls', { to }, key);
        expect(call.status).toBe(503);
        expect(callsAtFake()).toBe(0);
      } finally {
        process.kill(azurite.pid, 'SIGCONT');
      }
    });
    expect((await signedPost('/api/twilio/sms', sms)).status).toBe(200);
    const record = await fetch(`${app.url}/api/messages/${sms.MessageSid}`);
    expect(record.status).toBe(200);
    expect(await record.json()).toMatchObject({
      sid: sms.MessageSid,
      body: 'frozen',
      events: [{ status: 'received' }],
    });
  }, 60_000);
});

describe('storage that answers reads and refuses every write (a read-only SAS)', () => {
  it('health says 503 and that the write failed, not the read', async () => {
    // The tables exist (this file's earlier requests, or this upsert made them) and hold an entity.
    expect(
      (await signedPost('/api/twilio/sms', { MessageSid: sid('SM'), From: '+15550001111', Body: 'x' })).status,
    ).toBe(200);
    const { AzureNamedKeyCredential, generateAccountSas } = await import('@azure/data-tables');
    const accountKey = /AccountKey=([^;]+)/.exec(azurite.connectionString)![1]!;
    const readOnly = generateAccountSas(new AzureNamedKeyCredential('devstoreaccount1', accountKey), {
      permissions: { query: true },
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    useSettings({
      AzureWebJobsStorage: `TableEndpoint=${azurite.tableEndpoint};SharedAccessSignature=${readOnly}`,
      TWILIO_API_BASE_URL: fake.url,
    });
    // Azurite does not check a SAS's permissions on a transaction ($batch), so a text is still
    // recorded here; Azure refuses it (docs/records.md). A single write is refused on both.
    const health = await fetch(`${app.url}/api/health`);
    const body = await health.json();
    expect([health.status, body]).toMatchObject([
      503,
      {
        status: 'storage-unreachable',
        storageReach: {
          reachable: false,
          write: 'failed',
          read: 'ok',
          problem: expect.stringMatching(
            /^the write of the health entity failed: Record storage is unavailable: storage answered 403 AuthorizationPermissionMismatch$/,
          ),
        },
      },
    ]);
    expect(JSON.stringify(body)).not.toContain(readOnly);
  }, 30_000);

  it('health says ok, the write and the read both done, when storage takes both', async () => {
    const health = await fetch(`${app.url}/api/health`);
    expect([health.status, await health.json()]).toMatchObject([
      200,
      { status: 'ok', storageReach: { reachable: true, write: 'ok', read: 'ok' } },
    ]);
  });
});

describe('a Twilio that reads the request and never answers', () => {
  it('answers 504 "outcome unknown" naming the lookup; the same key answers 504 again and Twilio sees one request', async () => {
    fake.hangNext();
    const key = `hang-${randomBytes(4).toString('hex')}`;
    const first = await waitingOut(() => post('/api/calls', { to }, key));
    expect(first.status).toBe(504);
    expect(first.body).toMatchObject({
      outcome: 'unknown',
      lookup: `GET /api/calls?number=${encodeURIComponent(to)}&direction=outbound`,
    });
    expect(callsAtFake()).toBe(1);

    const again = await post('/api/calls', { to }, key);
    expect([again.status, again.replayed, again.body]).toEqual([504, 'true', first.body]);
    expect(callsAtFake()).toBe(1);
  }, 60_000);
});

describe('Idempotency-Key', () => {
  it('a repeat after success is answered from storage, says so, and never reaches Twilio; another body is 422', async () => {
    const key = randomBytes(8).toString('hex');
    const first = await post('/api/calls', { to }, key);
    expect([first.status, first.replayed]).toEqual([201, null]);
    const again = await post('/api/calls', { to }, key);
    expect([again.status, again.replayed, again.body]).toEqual([201, 'true', first.body]);
    expect(callsAtFake()).toBe(1);

    const other = await post('/api/calls', { to: '+15550003333' }, key);
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ problems: [{ field: 'Idempotency-Key' }] });
    expect(callsAtFake()).toBe(1);
  });

  it('the same key on /api/messages is another request; a key over 255 characters or empty is 400', async () => {
    const key = randomBytes(8).toString('hex');
    expect((await post('/api/calls', { to }, key)).status).toBe(201);
    expect((await post('/api/messages', { to, body: 'hi' }, key)).status).toBe(201);
    for (const bad of ['x'.repeat(256), '']) {
      const refused = await post('/api/messages', { to, body: 'hi' }, bad);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({
        problems: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 characters' }],
      });
    }
    expect(fake.received).toHaveLength(2);
  });

  it('a repeat while the first is still in flight is 409; once it is done, the repeat gets its answer', async () => {
    const key = randomBytes(8).toString('hex');
    fake.delayNext(1_500);
    const first = post('/api/calls', { to }, key);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const during = await post('/api/calls', { to }, key);
    expect(during.status).toBe(409);
    expect((await first).status).toBe(201);
    const after = await post('/api/calls', { to }, key);
    expect([after.status, after.replayed, after.body]).toEqual([201, 'true', (await first).body]);
    expect(callsAtFake()).toBe(1);
  });

  it('20 concurrent identical requests place exactly one call', async () => {
    const key = randomBytes(8).toString('hex');
    const answers = await Promise.all(Array.from({ length: 20 }, () => post('/api/calls', { to }, key)));
    expect(callsAtFake()).toBe(1);
    const fresh = answers.filter((answer) => answer.status === 201 && answer.replayed === null);
    expect(fresh).toHaveLength(1);
    for (const answer of answers) {
      expect(answer.status === 409 || (answer.status === 201 && answer.body.sid === fresh[0]!.body.sid)).toBe(true);
    }
  });

  it('when Twilio could not be reached nothing was sent: the key is released and the retry places the call', async () => {
    const key = randomBytes(8).toString('hex');
    useSettings({ AzureWebJobsStorage: azurite.connectionString, TWILIO_API_BASE_URL: 'http://127.0.0.1:9' });
    const unreachable = await post('/api/calls', { to }, key);
    expect([unreachable.status, unreachable.body.outcome]).toEqual([502, 'not-sent']);
    useSettings({ AzureWebJobsStorage: azurite.connectionString, TWILIO_API_BASE_URL: fake.url });
    const retried = await post('/api/calls', { to }, key);
    expect([retried.status, retried.replayed]).toEqual([201, null]);
    expect(callsAtFake()).toBe(1);
  });
});
