/**
 * A fake of the owner's system for a flow's `http` actions: a server on 127.0.0.1 that answers
 * what the test says (JSON, a status, after a delay, or by dropping the connection), and keeps
 * every request it got. startPhone stands these up with its `endpoints` option.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** The path without the query: `/customers`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeAnswer {
  /** Default 200. */
  status?: number;
  /** A JSON body (sent with content-type application/json). */
  json?: unknown;
  /** A body as it is, e.g. one that does not parse. */
  text?: string;
  /** Wait this long before answering (the flow's deadline is usually shorter). */
  delayMs?: number;
  /** Drop the connection without an answer: the endpoint is down. */
  fail?: true;
}

export type FakeHandler = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeEndpoint {
  /** http://127.0.0.1:<port>, what the flow's origin is replaced with. */
  url: string;
  /** Every request, in order. */
  requests: FakeRequest[];
  /** From now on answer with this (a fixed answer, or a function of the request). */
  answer(handler: FakeHandler | FakeAnswer): void;
  close(): Promise<void>;
}

const readBody = (request: import('node:http').IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });

/** Starts a fake endpoint on a free port; until told otherwise it answers 404. */
export async function startFakeEndpoint(handler: FakeHandler | FakeAnswer = { status: 404 }): Promise<FakeEndpoint> {
  let current: FakeHandler = typeof handler === 'function' ? handler : () => handler;
  const requests: FakeRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const seen = {
        method: request.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: await readBody(request),
      };
      requests.push(seen);
      const answer = await current(seen);
      if (answer.delayMs)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => (timers.delete(timer), resolve()), answer.delayMs);
          timers.add(timer);
        });
      if (answer.fail) return void request.socket.destroy();
      const json = answer.json !== undefined;
      response.writeHead(answer.status ?? 200, { 'content-type': json ? 'application/json' : 'text/plain' });
      response.end(json ? JSON.stringify(answer.json) : (answer.text ?? ''));
    })().catch(() => request.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(next) {
      current = typeof next === 'function' ? next : () => next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
