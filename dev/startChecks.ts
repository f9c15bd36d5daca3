/**
 * What `npm start` checks before it starts anything, so that every mistake a newcomer can
 * make ends in one message that names the setting, the file or the port, and the fix.
 */
import { join } from 'node:path';
import { ConfigError, loadSettings, LOCAL_PHONE_NUMBER, type Settings } from '../lib/config/settings';
import { FlowFileError, getFlows } from '../lib/flows/load';
import { AZURITE_PORTS, developmentConnectionString, isListening, type AzuritePorts } from './azurite';
import { localAccount } from './emulator/interpreter/twilioApi';
import { LOCAL_SETTINGS_FILE, localEnvironment } from './localSettings';

export const DEFAULT_PORT = 7071;
/** The emulator's port when PORT_OFFSET moves everything; without it the emulator takes a free port. */
const EMULATOR_PORT_WITH_OFFSET = 7072;
/** Stands in for the emulator's URL while settings are checked, before the emulator starts. */
const EMULATOR_PLACEHOLDER = 'http://127.0.0.1';

export type Env = Record<string, string | undefined>;
const isSet = (value: string | undefined) => Boolean(value?.trim());

/** Why npm start cannot start, as the lines to print. */
export class StartError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'StartError';
  }
}

/** Where npm start listens: the app, the emulator (0: a free port) and Azurite's three services. */
export interface StartPorts {
  app: number;
  emulator: number;
  azurite: AzuritePorts;
}

export interface StartPlan {
  env: Env;
  /** The app's port (ports.app). */
  port: number;
  ports: StartPorts;
  /** UseDevelopmentStorage=true: npm start runs Azurite on ports.azurite, unless one listens there. */
  startsAzurite: boolean;
  settings: Settings;
  /** No Twilio credentials: the emulator runs with the made-up ones now in `env`. */
  emulated: boolean;
}

/**
 * Settings from local.settings.json under the environment, with the embedded defaults
 * (Azurite; the emulator when no Twilio credentials are set), checked as the app will check
 * them, and a port that is free (unless Core Tools, which say so themselves, will listen).
 */
export async function planStart(root: string, processEnv: Env, { checkPort = true } = {}): Promise<StartPlan> {
  let env: Env;
  try {
    env = localEnvironment(root, processEnv);
  } catch (error) {
    throw new StartError([`Cannot start: ${error instanceof Error ? error.message : String(error)}`]);
  }
  env.FUNCTIONS_WORKER_RUNTIME ??= 'node';
  if (!isSet(env.AzureWebJobsStorage) && !isSet(env.AzureWebJobsStorage__tableServiceUri)) {
    env.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
  }
  const ports = portsOf(env);
  const port = ports.app;
  const startsAzurite = /UseDevelopmentStorage=true/i.test(env.AzureWebJobsStorage ?? '');
  // UseDevelopmentStorage=true means Azurite's default ports: on others, the app is given their endpoints.
  if (startsAzurite && ports.azurite.table !== AZURITE_PORTS.table)
    env.AzureWebJobsStorage = developmentConnectionString(ports.azurite);
  const emulated = useEmulatorIfNoCredentials(env);
  let settings: Settings;
  try {
    settings = loadSettings(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new StartError([
      'Cannot start: the settings are not valid.',
      ...error.lines.map((line) => `  ${line}`),
      `Fix them in ${join(root, LOCAL_SETTINGS_FILE)} (see local.settings.json.example) or the environment.`,
    ]);
  }
  try {
    getFlows(settings, root);
  } catch (error) {
    if (!(error instanceof FlowFileError)) throw error;
    throw new StartError([
      'Cannot start: the flow file is not valid.',
      ...error.lines.map((line) => `  ${line}`),
      'Fix it (editors check it against flows.schema.json), or set PHONE_FLOWS to another file.',
    ]);
  }
  if (checkPort && ports.emulator && (await isListening(ports.emulator))) {
    throw new StartError([
      `Cannot start: something already listens on EMULATOR_PORT ${ports.emulator}. Choose another, or leave EMULATOR_PORT unset for a free one.`,
    ]);
  }
  if (checkPort && (await isListening(port))) {
    throw new StartError([
      `Cannot start: something already listens on port ${port} (another npm start?). Stop it, or choose another port: PORT=7073 npm start`,
    ]);
  }
  return { env, port, ports, startsAzurite, settings, emulated };
}

/** A whole number within bounds from the environment, or the fallback; a bad one is named with its range. */
function wholeNumber(env: Env, name: string, fallback: number, min: number, max: number, why = ''): number {
  const given = env[name]?.trim();
  if (!given) return fallback;
  const value = Number(given);
  if (!/^\d+$/.test(given) || value < min || value > max) {
    const what = name === 'PORT_OFFSET' ? 'a whole number' : 'a port number';
    throw new StartError([`Cannot start: ${name} must be ${what} from ${min} to ${max}${why} (got "${given}").`]);
  }
  return value;
}

/**
 * PORT moves the app, EMULATOR_PORT the emulator, AZURITE_PORT_BASE Azurite (blob on it, queue
 * and table on the next two, as Azurite's own 10000-10002); PORT_OFFSET moves all of them at
 * once, for a second checkout beside the first. A port given by name wins over the offset.
 */
function portsOf(env: Env): StartPorts {
  const offset = wholeNumber(env, 'PORT_OFFSET', 0, 0, 1000);
  const base = wholeNumber(
    env,
    'AZURITE_PORT_BASE',
    AZURITE_PORTS.blob + offset,
    1,
    65533,
    ': blob, queue and table take it and the next two',
  );
  return {
    app: wholeNumber(env, 'PORT', DEFAULT_PORT + offset, 1, 65535),
    emulator: wholeNumber(env, 'EMULATOR_PORT', offset ? EMULATOR_PORT_WITH_OFFSET + offset : 0, 1, 65535),
    azurite: { blob: base, queue: base + 1, table: base + 2 },
  };
}

/**
 * Without Twilio credentials the app talks to the local emulator, with credentials made up
 * for this run; with real ones it talks to Twilio (or to TWILIO_API_BASE_URL when set).
 * Fills the environment in so the settings can be checked before anything starts.
 */
function useEmulatorIfNoCredentials(env: Env): boolean {
  if (isSet(env.TWILIO_ACCOUNT_SID) || isSet(env.TWILIO_AUTH_TOKEN)) return false;
  const account = localAccount();
  Object.assign(env, {
    TWILIO_ACCOUNT_SID: account.accountSid,
    TWILIO_AUTH_TOKEN: account.authToken,
    TWILIO_PHONE_NUMBER: isSet(env.TWILIO_PHONE_NUMBER) ? env.TWILIO_PHONE_NUMBER!.trim() : LOCAL_PHONE_NUMBER,
    TWILIO_API_BASE_URL: EMULATOR_PLACEHOLDER,
  });
  return true;
}
