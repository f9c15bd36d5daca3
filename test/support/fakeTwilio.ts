import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { loadSettings, type Settings } from '../../lib/config/settings';
import { baseSettings, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from './settings';

export interface ReceivedRequest {
  method: string;
  path: string;
  form: Record<string, string[]>;
}

type Failure = { status: number; code: number; message: string };
/**
 * What the next request gets instead of an answer: a Twilio error, silence (the request was
 * read, no answer ever comes; with `acted` Twilio created the resource first), or a delay.
 */
type Next = { fail: Failure } | { hang: true; acted?: boolean } | { delayMs: number };

export interface CreatedMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  date_created: string;
}

/**
 * A fake Twilio REST API on 127.0.0.1: checks Basic auth, records the form fields it gets
 * and answers like Twilio, or with the Twilio-shaped error it is told to give next.
 */
export async function startFakeTwilio(accountSid: string, authToken: string, port = 0) {
  const received: ReceivedRequest[] = [];
  /** The messages it created, oldest first; GET Messages.json lists them newest first, filtered by To and From. */
  const messages: CreatedMessage[] = [];
  const next: Next[] = [];
  /** Every `every`-th POST gets `failure` (failEvery). */
  let periodic: { every: number; failure: Failure; count: number } | undefined;
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

  const server = createServer((req, res) => void answer(req, res));
  async function answer(req: IncomingMessage, res: ServerResponse) {
    const body = await readAll(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const form: Record<string, string[]> = {};
    for (const [key, value] of new URLSearchParams(body)) (form[key] ??= []).push(value);
    received.push({ method: req.method ?? '', path: url.pathname, form });

    const send = (status: number, payload: unknown) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
    const fail = ({ status, code, message }: Failure) =>
      send(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

    if (req.headers.authorization !== expectedAuth) return fail({ status: 401, code: 20003, message: 'Authenticate' });
    if (periodic && req.method === 'POST' && ++periodic.count % periodic.every === 0) return fail(periodic.failure);
    const planned = next.shift();
    if (planned && 'fail' in planned) return fail(planned.fail);
    if (planned && 'delayMs' in planned) await new Promise((resolve) => setTimeout(resolve, planned.delayMs));
    const resource = /^\/2010-04-01\/Accounts\/(AC\w+)\/(Calls|Messages)\.json$/.exec(url.pathname);
    if (req.method === 'GET' && resource?.[2] === 'Messages' && resource[1] === accountSid) {
      const want = (name: string, value: string) => !url.searchParams.has(name) || url.searchParams.get(name) === value;
      const found = messages.filter((message) => want('To', message.to) && want('From', message.from)).reverse();
      return send(200, { messages: found, next_page_uri: null, page: 0, page_size: found.length });
    }
    if (req.method !== 'POST' || !resource || resource[1] !== accountSid) {
      return fail({ status: 404, code: 20404, message: 'The requested resource was not found' });
    }
    const isCall = resource[2] === 'Calls';
    const sid = `${isCall ? 'CA' : 'SM'}${randomBytes(16).toString('hex')}`;
    const date_created = new Date().toUTCString();
    if (!isCall)
      messages.push({
        sid,
        to: form.To?.[0] ?? '',
        from: form.From?.[0] ?? '',
        body: form.Body?.[0] ?? '',
        date_created,
      });
    if (planned && 'hang' in planned) {
      if (!planned.acted && !isCall) messages.pop();
      return;
    }
    send(201, {
      sid,
      account_sid: accountSid,
      to: form.To?.[0],
      from: form.From?.[0],
      status: isCall ? 'queued' : 'accepted',
      ...(isCall ? {} : { body: form.Body?.[0], num_media: String(form.MediaUrl?.length ?? 0) }),
      date_created,
      uri: `/2010-04-01/Accounts/${accountSid}/${resource[2]}/${sid}.json`,
    });
  }
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  const address = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    received,
    messages,
    /** The next request gets this Twilio error instead of a success. */
    failNext(failure: Failure) {
      next.push({ fail: failure });
    },
    /** The next request is read and never answered, as when Twilio or the network stalls after the request was sent. */
    hangNext() {
      next.push({ hang: true });
    },
    /** The next request creates its message, then is never answered: Twilio acted, and the answer was lost. */
    hangAfterActingNext() {
      next.push({ hang: true, acted: true });
    },
    /** One POST in `every` gets this Twilio error (e.g. 429 code 20429), until called with 0. */
    failEvery(every: number, failure: Failure) {
      periodic = every > 0 ? { every, failure, count: 0 } : undefined;
    },
    delayNext(delayMs: number) {
      next.push({ delayMs });
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

export type FakeTwilio = Awaited<ReturnType<typeof startFakeTwilio>>;

/**
 * The fake Twilio with the test account, started before the calling file's tests and closed
 * after them, and the app's settings pointed at it (read both inside a test).
 */
export function useFakeTwilio(): { readonly fake: FakeTwilio; readonly settings: Settings } {
  let fake: FakeTwilio | undefined;
  let settings: Settings | undefined;
  beforeAll(async () => {
    fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
    settings = loadSettings({ ...baseSettings, TWILIO_API_BASE_URL: fake.url });
  });
  afterAll(() => fake?.close());
  return {
    get fake() {
      return fake!;
    },
    get settings() {
      return settings!;
    },
  };
}
