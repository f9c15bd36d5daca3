import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import type { Emulator } from '../../dev/emulator/index';
import { expectMatchesSpec, type Exchange } from '../support/twilioSpec';

export interface Received {
  method: string;
  path: string;
  /** The full URL as requested, query string included. */
  url: string;
  params: Record<string, string>;
  signatureValid: boolean;
  headers: Record<string, string | string[] | undefined>;
}

export type Reply = string | { status?: number; type?: string; body: string; cookies?: string[] } | 'hang';
export type Route = (params: Record<string, string>, url: URL) => Reply;

/**
 * A tiny TwiML app on 127.0.0.1: answers each path with the TwiML its route returns and
 * records every request with whether its X-Twilio-Signature is valid (checked with the SDK).
 */
export async function startTwimlApp(authToken: string, routes: Record<string, Route>) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      // A GET webhook carries its parameters in the query string, and its signature covers the URL alone.
      const params = req.method === 'GET' ? Object.fromEntries(url.searchParams) : form;
      const signature = String(req.headers['x-twilio-signature'] ?? '');
      received.push({
        method: req.method ?? '',
        path: url.pathname,
        url: url.toString(),
        params,
        signatureValid: validateRequest(authToken, signature, url.toString(), form),
        headers: req.headers,
      });
      const route = routes[url.pathname];
      const reply: Reply = route ? route(params, url) : { status: 404, body: 'not found', type: 'text/plain' };
      if (reply === 'hang') return;
      const {
        status = 200,
        type = 'text/xml',
        body,
        cookies = [],
      } = typeof reply === 'string' ? { body: reply } : reply;
      res.writeHead(status, { 'Content-Type': type, ...(cookies.length ? { 'Set-Cookie': cookies } : {}) }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on: (path: string) => received.filter((request) => request.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const twiml = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;

/** After each test: the emulator's script is reset, and every answer the SDK got is checked against Twilio's description. */
export function checkAgainstSpec(emulator: Emulator, exchanges: Exchange[]): void {
  emulator.setScript({});
  for (const exchange of exchanges.splice(0)) expectMatchesSpec(exchange);
}

export async function stopAll(
  ...running: Array<{ stop(): Promise<void> } | { close(): Promise<void> }>
): Promise<void> {
  for (const thing of running) await ('stop' in thing ? thing.stop() : thing.close());
}
