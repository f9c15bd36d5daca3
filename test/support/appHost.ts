import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadFunctions, registeredTriggers, routePrefix, startHost, type LogLine } from '../../dev/functionsHost';
import { queueOptions, startQueueHost, type QueueOptions, type RunningQueueHost } from '../../dev/queueHost';

export const ROOT = resolve(__dirname, '../..');

/** Every function file, as TypeScript source (the built app loads the same files from dist/). */
export const functionSourceFiles = () =>
  readdirSync(join(ROOT, 'functions'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(ROOT, 'functions', file));

export const functionNameOf = (file: string) => basename(file).replace(/\.(ts|js)$/, '');

type AppHost = Awaited<ReturnType<typeof startHost>> & { functions: Awaited<ReturnType<typeof loadFunctions>> };
export type AppHostWithQueues = AppHost & { queues: RunningQueueHost };

/**
 * The app served over real HTTP on a free 127.0.0.1 port by the local host. With `queues` the
 * queue-triggered functions run too (host.json's options, with these changes, e.g. a shorter
 * visibilityTimeout): only against an Azurite of the test file's own, since a queue host takes
 * every message of its queue, other files' too.
 */
export async function startAppHost(
  log: LogLine | undefined,
  options: { queues: Partial<QueueOptions> },
): Promise<AppHostWithQueues>;
export async function startAppHost(log?: LogLine): Promise<AppHost>;
export async function startAppHost(log?: LogLine, options?: { queues: Partial<QueueOptions> }) {
  const functions = await loadFunctions(functionSourceFiles());
  const host = await startHost({ functions, prefix: routePrefix(ROOT), log: log ?? (() => {}), clock: true });
  if (!options) return { functions, ...host };
  const queues = startQueueHost({
    functions: registeredTriggers().queues,
    options: { ...queueOptions(ROOT), ...options.queues },
    log: log ?? (() => {}),
  });
  return {
    functions,
    ...host,
    queues,
    close: async () => {
      await queues.close();
      await host.close();
    },
  };
}
