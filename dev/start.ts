/**
 * `npm start`: the app on this machine with embedded defaults.
 *
 * Settings come from local.settings.json with environment variables winning, as with
 * `func start`. With Core Tools installed this runs `func start`; without them, the local
 * host in functionsHost.ts serves the same functions on the same port.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ConfigError, loadSettings } from '../lib/config';
import { describeSetup } from '../lib/health';
import { functionFiles, loadFunctions, routePrefix, startHost, type HttpFunction } from './functionsHost';
import { localEnvironment } from './localSettings';

const ROOT = resolve(__dirname, '../..');
const PORT = Number(process.env.PORT ?? 7071);

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

async function main() {
  const env = localEnvironment(ROOT);
  env.FUNCTIONS_WORKER_RUNTIME ??= 'node';
  const stops: Stop[] = [];

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

  const coreTools = findCoreTools();
  if (coreTools) {
    console.log(`Twilio:  ${setup.twilio.endpoint}${setup.twilio.emulator ? ' (local emulator)' : ''}`);
    console.log(`Storage: ${setup.storage}`);
    console.log(`Starting Azure Functions Core Tools (${coreTools})…`);
    const func = spawn(coreTools, ['start', '--port', String(PORT)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
    stops.push(() => {
      func.kill('SIGINT');
    });
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
