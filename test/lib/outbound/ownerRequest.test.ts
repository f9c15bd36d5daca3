import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOwner, MAX_RESPONSE_BYTES, SIGNATURE_HEADER } from '../../../lib/outbound/ownerRequest';

const SECRET = 'test-flow-secret';
let server: Server;
let base: string;
const seen: Array<{ url: string; signature: string | undefined; body: string }> = [];

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"Ada","tier":"vip"}'),
  '/text': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('fine'),
  '/broken-json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":'),
  '/fail': (_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}'),
  '/hang': () => undefined,
  '/big': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('x'.repeat(MAX_RESPONSE_BYTES + 1));
  },
  '/away': (_req, res) => res.writeHead(302, { location: 'http://127.0.0.2:9/steal' }).end(),
  '/here': (_req, res) => res.writeHead(307, { location: '/ok' }).end(),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', signature: req.headers[SIGNATURE_HEADER] as string | undefined, body });
      const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const get = (path: string, ms = 2_000) =>
  callOwner({ method: 'GET', url: `${base}${path}`, headers: {} }, SECRET, AbortSignal.timeout(ms));

describe("a flow's request to the owner's system", () => {
  it('answers ok with the parsed JSON for a 2xx, and text as text', async () => {
    expect(await get('/ok')).toMatchObject({ outcome: 'ok', status: 200, parsed: { name: 'Ada', tier: 'vip' } });
    expect(await get('/text')).toMatchObject({ outcome: 'ok', parsed: 'fine' });
  });

  it.each([
    ['/fail', /answered 503/],
    ['/broken-json', /not valid JSON/],
    ['/big', /larger than 64 KiB/],
    ['/away', /redirected to another host \(127\.0\.0\.2:9\)/],
  ])('fails %s with a reason, never a throw', async (path, reason) => {
    const answer = await get(path);
    expect(answer.outcome).toBe('failed');
    expect(answer.outcome === 'failed' && answer.reason).toMatch(reason);
  });

  it('fails a host that hangs at its deadline', async () => {
    const answer = await get('/hang', 300);
    expect(answer).toMatchObject({ outcome: 'failed', reason: 'no answer within the deadline' });
    expect(answer.ms).toBeLessThan(2_000);
  });

  it('fails a host that refuses the connection', async () => {
    const answer = await callOwner(
      { method: 'GET', url: 'http://127.0.0.1:9/', headers: {} },
      SECRET,
      AbortSignal.timeout(2_000),
    );
    expect(answer).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/could not connect/) });
  });

  it('follows a redirect on the same host', async () => {
    expect(await get('/here')).toMatchObject({ outcome: 'ok', parsed: { name: 'Ada' } });
  });

  it("signs each request so the owner's endpoint can check it (the snippet in docs/flows.md)", async () => {
    const body = JSON.stringify({ from: '+15550100001' });
    await callOwner(
      { method: 'POST', url: `${base}/ok?x=1`, headers: { 'content-type': 'application/json' }, body },
      SECRET,
      AbortSignal.timeout(2_000),
    );
    const request = seen.at(-1)!;
    expect(request.body).toBe(body);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(request.signature ?? '') ?? [];
    const expected = createHmac('sha256', SECRET)
      .update(`${t}.POST.${base}${request.url}.${request.body}`)
      .digest('hex');
    expect(timingSafeEqual(Buffer.from(v1!), Buffer.from(expected))).toBe(true);
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
  });
});
