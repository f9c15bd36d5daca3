import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './appHost';

/** A JSON request to the app; the body parsed. */
export async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}/api/${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/** `count` recipients from +1 555 020 0000 on, each with a `name`. */
export const numbers = (count: number, base = 15550200000) =>
  Array.from({ length: count }, (_, n) => ({ to: `+${base + n}`, variables: { name: `N${n}` } }));

export async function until<T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The campaign's progress once nothing of it waits (read every 2 s: each read lists every recipient). */
export async function finished(url: string, id: string, ms: number) {
  let last: unknown;
  const deadline = Date.now() + ms;
  for (;;) {
    const progress = await api(url, 'GET', `campaigns/${id}`);
    if (progress.body?.done) return progress.body;
    last = progress.body?.counts ?? progress.body;
    if (Date.now() > deadline) throw new Error(`campaign ${id} not done within ${ms} ms: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** Each number texted, with how many times (counted at the fake Twilio). */
export function textsPerNumber(messages: Array<{ to: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of messages) counts.set(message.to, (counts.get(message.to) ?? 0) + 1);
  return counts;
}

let bundled: Promise<string> | undefined;

/** A queue worker in a child process (campaignWorker.ts, bundled once), which a test can kill. */
export async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  bundled ??= (async () => {
    const outdir = join(ROOT, 'node_modules', '.cache', 'campaign-worker');
    mkdirSync(outdir, { recursive: true });
    const outfile = join(outdir, 'worker.cjs');
    await build({
      entryPoints: [join(ROOT, 'test/support/campaignWorker.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      packages: 'external',
      outfile,
      logLevel: 'error',
    });
    return outfile;
  })();
  const worker = fork(await bundled, [], {
    env: { ...process.env, ...env, APP_ROOT: ROOT },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  await new Promise<void>((ready, fail) => {
    worker.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker ready')) ready();
    });
    worker.once('exit', (code) => fail(new Error(`The worker exited (${code}) before it was ready`)));
  });
  return worker;
}
