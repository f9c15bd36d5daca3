import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadFunctions, registeredTriggers, routePrefix, startHost, type LogLine } from '../../dev/functionsHost';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { queueOptions, startQueueHost, type QueueOptions, type RunningQueueHost } from '../../dev/queueHost';
import { startFakeTwilio, type FakeTwilio } from './fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from './settings';

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

export interface QueuedApp {
  app: AppHostWithQueues;
  azurite: RunningAzurite;
  fake: FakeTwilio;
  /** Every line the host logged, `level name: message`; a test may empty it. */
  hostLog: string[];
  /** The settings this app runs with (its Azurite, the fake Twilio, `settings`), with `extra` on top. */
  settings(extra?: Record<string, string>): void;
  /** Before each test: these settings again, no request or text at the fake Twilio, an empty log. */
  reset(): void;
  /** A new fake Twilio on the port of the one a test closed: Twilio back after an outage. */
  restartFake(): Promise<FakeTwilio>;
  close(): Promise<void>;
}

/**
 * The app over HTTP with its queue functions polling fast, against an Azurite of the test file's
 * own and a fake Twilio: how a test follows a text the app sends on its own to Twilio.
 */
export async function startQueuedApp(settings: Record<string, string> = {}): Promise<QueuedApp> {
  const azurite = await startAzurite({ services: 'app' });
  let fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  const hostLog: string[] = [];
  const use = (extra: Record<string, string> = {}) =>
    useSettings({
      AzureWebJobsStorage: azurite.connectionString,
      TWILIO_API_BASE_URL: fake.url,
      ...settings,
      ...extra,
    });
  use();
  const app = await startAppHost((level, name, message) => hostLog.push(`${level} ${name}: ${message}`), {
    queues: { maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 1 },
  });
  return {
    app,
    azurite,
    get fake() {
      return fake;
    },
    hostLog,
    settings: use,
    reset() {
      use();
      fake.received.length = 0;
      fake.messages.length = 0;
      hostLog.length = 0;
    },
    async restartFake() {
      fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, fake.port);
      return fake;
    },
    async close() {
      await app.close();
      await fake.close();
      await azurite.stop();
    },
  };
}
