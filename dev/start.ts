/**
 * `npm start`: the app on this machine with embedded defaults.
 *
 * Settings come from local.settings.json with environment variables winning, as with
 * `func start`. With Core Tools installed this runs `func start`; without them, the local
 * host in functionsHost.ts serves the same functions on the same port.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ConfigError, loadSettings } from '../lib/config';
import { describeSetup } from '../lib/health';
import { DEFAULT_PORTS, isListening, startAzurite } from './azurite';
import { removeDevSession, writeDevSession } from './cli/settings';
import { startLocalTwilio } from './emulator/local';
import { functionFiles, loadFunctions, routePrefix, startHost, type HttpFunction } from './functionsHost';
import { localEnvironment } from './localSettings';

const ROOT = resolve(__dirname, '../..');
const PORT = Number(process.env.PORT ?? 7071);
const LOCAL_PHONE_NUMBER = '+15005550006';

type Env = Record<string, string | undefined>;
const isSet = (value: string | undefined) => Boolean(value?.trim());

type Stop = () => Promise<void> | void;

function findCoreTools(): string | undefined {
  const names = process.platform === 'win32' ? ['func.cmd', 'func.exe'] : ['func'];
  const folders = [join(ROOT, 'node_modules', '.bin'), ...(process.env.PATH ?? '').split(delimiter)];
  for (const folder of folders) {
    for (const name of names) {
      const candidate = join(folder, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

function printRoutes(functions: HttpFunction[], origin: string, prefix: string) {
  console.log('Functions:');
  for (const fn of functions) {
    const auth = fn.authLevel === 'anonymous' ? (fn.route.startsWith('twilio/') ? 'Twilio signature' : 'anonymous') : `${fn.authLevel} key in Azure`;
    console.log(`  ${fn.methods.join(',').padEnd(5)} ${`${origin}/${prefix}/${fn.route}`.padEnd(48)} ${fn.name.padEnd(15)} ${auth}`);
  }
}

/**
 * Without Twilio credentials the app talks to the local emulator, with credentials made up
 * for this run; with real ones it talks to Twilio (or to TWILIO_API_BASE_URL when set).
 */
async function startTwilioEmulatorIfNeeded(env: Env, stops: Stop[]): Promise<((appUrl: string) => Promise<void>) | undefined> {
  if (isSet(env.TWILIO_ACCOUNT_SID) || isSet(env.TWILIO_AUTH_TOKEN)) return undefined;
  const phoneNumber = isSet(env.TWILIO_PHONE_NUMBER) ? env.TWILIO_PHONE_NUMBER!.trim() : LOCAL_PHONE_NUMBER;
  const { emulator, pointNumberAt, ...account } = await startLocalTwilio(phoneNumber, (line) => console.log(`[emulator] ${line}`));
  Object.assign(env, {
    TWILIO_ACCOUNT_SID: account.accountSid,
    TWILIO_AUTH_TOKEN: account.authToken,
    TWILIO_PHONE_NUMBER: phoneNumber,
    TWILIO_API_BASE_URL: emulator.url,
  });
  console.log(`No Twilio credentials configured: using the local Twilio emulator at ${emulator.url} with credentials made up for this run.`);
  return async (appUrl) => {
    writeDevSession(ROOT, { ...account, phoneNumber, emulatorUrl: emulator.url, appUrl });
    // Pushed after the app's own stop, so it runs first: no callback is posted to a closed app.
    stops.push(() => removeDevSession(ROOT), () => emulator.stop());
    const webhooks = await pointNumberAt(appUrl);
    console.log(`Emulator number ${phoneNumber}: voice ${webhooks.voiceUrl}, SMS ${webhooks.smsUrl}, status ${webhooks.statusCallback}`);
  };
}

/**
 * With `UseDevelopmentStorage=true` records go to Azurite on its default ports: started here
 * from the project's own dependencies, with data under .local/azurite, unless one already runs.
 * Core Tools need blob and queue as well; the local host needs tables only.
 */
async function startAzuriteIfNeeded(env: Env, services: 'all' | 'table', stops: Stop[]): Promise<void> {
  if (!/UseDevelopmentStorage=true/i.test(env.AzureWebJobsStorage ?? '')) return;
  if (await isListening(DEFAULT_PORTS.table)) {
    console.log(`Storage: using the Azurite already listening on 127.0.0.1:${DEFAULT_PORTS.table}.`);
    return;
  }
  const location = join(ROOT, '.local', 'azurite');
  mkdirSync(location, { recursive: true });
  const azurite = await startAzurite({ services, location, tablePort: DEFAULT_PORTS.table });
  stops.push(() => azurite.stop());
  console.log(`Storage: started Azurite (${services === 'all' ? 'blob, queue and table' : 'table'}) on 127.0.0.1; data in ${location}`);
}

async function main() {
  const env: Env = localEnvironment(ROOT);
  env.FUNCTIONS_WORKER_RUNTIME ??= 'node';
  if (!isSet(env.AzureWebJobsStorage) && !isSet(env.AzureWebJobsStorage__tableServiceUri)) {
    env.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
  }
  const stops: Stop[] = [];
  const coreTools = findCoreTools();
  const announceSession = await startTwilioEmulatorIfNeeded(env, stops);

  let settings;
  try {
    settings = loadSettings(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error('Cannot start: the settings are not valid.');
    for (const problem of error.problems) console.error(`  ${problem}`);
    console.error('Fix them in local.settings.json (see local.settings.json.example) or the environment.');
    process.exit(1);
  }
  const setup = describeSetup(settings);

  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    stopAll()
      .catch((error: unknown) => console.error(error))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  await startAzuriteIfNeeded(env, coreTools ? 'all' : 'table', stops);

  if (coreTools) {
    console.log(`Twilio:  ${setup.twilio.endpoint}${setup.twilio.emulator ? ' (local emulator)' : ''}`);
    console.log(`Storage: ${setup.storage}`);
    console.log(`Starting Azure Functions Core Tools (${coreTools})…`);
    const func = spawn(coreTools, ['start', '--port', String(PORT)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
    stops.push(() => {
      func.kill('SIGINT');
    });
    await announceSession?.(`http://localhost:${PORT}`);
    func.on('exit', (code) => {
      void stopAll().finally(() => process.exit(code ?? 0));
    });
    return;
  }

  Object.assign(process.env, env);
  const functions = await loadFunctions(functionFiles(ROOT));
  const prefix = routePrefix(ROOT);
  const host = await startHost({ functions, prefix, port: PORT });
  stops.push(() => host.close());
  const origin = `http://localhost:${new URL(host.url).port}`;
  await announceSession?.(origin);

  console.log('Azure Functions Core Tools are not installed: serving the functions with the local host in dev/.\n');
  printRoutes(functions, origin, prefix);
  console.log(`\nTwilio:  ${setup.twilio.endpoint}${setup.twilio.emulator ? ' (local emulator)' : ''}, account ${setup.twilio.account}`);
  console.log(`Storage: ${setup.storage}`);
  console.log(`\nListening on ${origin}. Press Ctrl+C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
