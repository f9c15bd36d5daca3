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
import { ROUTES } from '../lib/config/routes';
import { loadSettings, type Settings } from '../lib/config/settings';
import { lineNow } from '../lib/flows/hours';
import { describeFlows, getFlows } from '../lib/flows/load';
import { describeSetup, probeStorage } from '../lib/health';
import { isListening, startAzurite, type AzuritePorts } from './azurite';
import { removeDevSession, writeDevSession } from './cli/settings';
import { buildConsole, type ConsolePhone } from './consoleBuild';
import { startLocalTwilio } from './emulator/local';
import { consoleLog, registeredTriggers, routePrefix, serveApp, type HttpFunction } from './functionsHost';
import { queueOptions, startQueueHost } from './queueHost';
import { startTimerHost } from './timerHost';
import { watchFlowFile } from './flowWatcher';
import { planStart, StartError, type Env, type StartPorts } from './startChecks';

const ROOT = resolve(__dirname, '../..');

/**
 * What npm start stops on Ctrl+C, in this order: the emulator first (its timers would post
 * callbacks to a closed host), then the app, then storage, then the session file.
 */
const STOP_ORDER = ['emulator', 'app', 'storage', 'session'] as const;
type Stops = Partial<Record<(typeof STOP_ORDER)[number], () => Promise<void> | void>>;

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
    const auth =
      fn.authLevel === 'anonymous'
        ? fn.route.startsWith('twilio/')
          ? 'Twilio signature'
          : 'anonymous'
        : `${fn.authLevel} key in Azure`;
    console.log(
      `  ${fn.methods.join(',').padEnd(5)} ${`${origin}/${prefix}/${fn.route}`.padEnd(48)} ${fn.name.padEnd(15)} ${auth}`,
    );
  }
}

interface StartedEmulator {
  /** Writes the session file and points the emulator's number at the app. */
  announce(appUrl: string): Promise<void>;
  /** What the console's phone talks to: the page npm start builds has it, the package's never. */
  phone: ConsolePhone;
}

async function startEmulatorFor(env: Env, port: number, stops: Stops): Promise<StartedEmulator> {
  const account = { accountSid: env.TWILIO_ACCOUNT_SID!, authToken: env.TWILIO_AUTH_TOKEN! };
  const phoneNumber = env.TWILIO_PHONE_NUMBER!;
  const { emulator, pointNumberAt } = await startLocalTwilio(
    account,
    phoneNumber,
    (line) => console.log(`[emulator] ${line}`),
    port,
  );
  stops.emulator = () => emulator.stop();
  env.TWILIO_API_BASE_URL = emulator.url;
  console.log(
    `No Twilio credentials configured: using the local Twilio emulator at ${emulator.url} with credentials made up for this run.`,
  );
  const announce = async (appUrl: string) => {
    const session = { ...account, phoneNumber, emulatorUrl: emulator.url, appUrl };
    writeDevSession(ROOT, session);
    stops.session = () => removeDevSession(ROOT, session);
    const webhooks = await pointNumberAt(appUrl);
    console.log(
      `Emulator number ${phoneNumber}: voice ${webhooks.voiceUrl}, SMS ${webhooks.smsUrl} (fallbacks too), status ${webhooks.statusCallback}`,
    );
  };
  return { announce, phone: { url: emulator.url, token: emulator.phoneToken } };
}

/**
 * With `UseDevelopmentStorage=true` records go to Azurite on its default ports (or those
 * AZURITE_PORT_BASE names): started here from the project's own dependencies, with data under
 * .local/azurite, unless one already runs. Core Tools need blob as well; the app needs tables
 * and queues (texts it sends on its own).
 */
async function startAzuriteIfNeeded(ports: AzuritePorts, stops: Stops): Promise<void> {
  if (await isListening(ports.table)) {
    console.log(`Storage: something already listens on 127.0.0.1:${ports.table}; using it as Azurite.`);
    if (!(await isListening(ports.queue)))
      console.warn(
        `Storage: nothing serves queues on 127.0.0.1:${ports.queue}: voicemail texts and forwards cannot be queued (503) until an Azurite with its queue service runs.`,
      );
    return;
  }
  const location = join(ROOT, '.local', 'azurite');
  mkdirSync(location, { recursive: true });
  const azurite = await startAzurite({ services: 'all', location, tablePort: ports.table, ports });
  stops.storage = () => azurite.stop();
  console.log(
    `Storage: started Azurite (blob, queue and table on 127.0.0.1:${ports.blob}, ${ports.queue} and ${ports.table}); data in ${location}`,
  );
}

function printConsole(url: string, phone: boolean, before = '') {
  console.log(`${before}Console: ${url}`);
  if (phone) console.log(`Phone:   ${url}#/phone (call and text the line from the page, through the emulator)`);
}

const describePorts = (ports: StartPorts) =>
  `Ports:   app ${ports.app}, emulator ${ports.emulator || 'a free one'}, Azurite ${ports.azurite.blob}-${ports.azurite.table} ` +
  '(PORT, EMULATOR_PORT, AZURITE_PORT_BASE; PORT_OFFSET moves all)';

/** Storage must answer as table storage does; a foreign server on Azurite's port is named here, as health names it. */
async function reportStorage(settings: Settings, described: string): Promise<void> {
  const reach = await probeStorage(settings);
  if (reach.reachable) console.log(`Storage: ${described}`);
  else
    console.warn(
      `Storage: ${described} is NOT reachable as table storage (${reach.problem}). Webhooks will answer 503 and health 503 until it is.`,
    );
}

async function main() {
  const coreTools = findCoreTools();
  const { env, port, ports, startsAzurite, emulated } = await planStart(ROOT, process.env, { checkPort: !coreTools });
  const stops: Stops = {};
  console.log(describePorts(ports));
  const emulator = emulated ? await startEmulatorFor(env, ports.emulator, stops) : undefined;
  const settings = loadSettings(env);
  const setup = describeSetup(settings);

  const stopAll = async () => {
    for (const name of STOP_ORDER) await stops[name]?.();
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

  if (startsAzurite) await startAzuriteIfNeeded(ports.azurite, stops);
  await buildConsole(ROOT, emulator ? { phone: emulator.phone } : {});

  if (coreTools) {
    console.log(`Twilio:  ${setup.twilio.endpoint}${setup.twilio.emulator ? ' (local emulator)' : ''}`);
    await reportStorage(settings, setup.storage);
    console.log(`Flows:   ${describeFlows(settings, ROOT)}`);
    console.log(`Line:    ${lineNow(getFlows(settings, ROOT).hours, new Date()).summary}`);
    printConsole(`http://localhost:${port}/${routePrefix(ROOT)}/${ROUTES.console}`, emulator !== undefined);
    console.log(`Starting Azure Functions Core Tools (${coreTools})…`);
    const func = spawn(coreTools, ['start', '--port', String(port)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: 'inherit',
    });
    stops.app = () => {
      func.kill('SIGINT');
    };
    await emulator?.announce(`http://localhost:${port}`);
    func.on('exit', (code) => {
      void stopAll().finally(() => process.exit(code ?? 0));
    });
    return;
  }

  Object.assign(process.env, env);
  const host = await serveApp(ROOT, {
    port,
    clock: setup.twilio.emulator,
    functionKey: process.env.LOCAL_FUNCTION_KEY || undefined,
  });
  const triggers = registeredTriggers();
  const queues = startQueueHost({ functions: triggers.queues, options: queueOptions(ROOT), log: consoleLog });
  const timers = startTimerHost({ functions: triggers.timers, log: consoleLog });
  const watcher = watchFlowFile(settings, ROOT, { log: console.log, warn: console.warn });
  stops.app = async () => {
    watcher.close();
    timers.close();
    await queues.close();
    await host.close();
  };
  const origin = `http://localhost:${new URL(host.url).port}`;
  await emulator?.announce(origin);

  console.log('Azure Functions Core Tools are not installed: serving the functions with the local host in dev/.\n');
  printRoutes(host.functions, origin, host.prefix);
  for (const fn of triggers.queues) console.log(`  queue ${fn.queueName.padEnd(48)} ${fn.name}`);
  for (const fn of triggers.timers) console.log(`  timer ${fn.schedule.padEnd(48)} ${fn.name}`);
  console.log(`\nFlows:   ${describeFlows(settings, ROOT)}`);
  console.log(`Line:    ${lineNow(getFlows(settings, ROOT).hours, new Date()).summary}`);
  console.log(
    `\nTwilio:  ${setup.twilio.endpoint}${setup.twilio.emulator ? ' (local emulator)' : ''}, account ${setup.twilio.account}`,
  );
  await reportStorage(settings, setup.storage);
  printConsole(`${origin}/${host.prefix}/${ROUTES.console}`, emulator !== undefined, '\n');
  console.log(`Listening on ${origin}. Press Ctrl+C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof StartError ? error.lines.join('\n') : error instanceof Error ? error.message : error);
  process.exit(1);
});
