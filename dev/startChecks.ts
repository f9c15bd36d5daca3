/**
 * What `npm start` checks before it starts anything, so that every mistake a newcomer can
 * make ends in one message that names the setting, the file or the port, and the fix.
 */
import { join } from 'node:path';
import { ConfigError, loadSettings, LOCAL_PHONE_NUMBER, type Settings } from '../lib/config/settings';
import { FlowFileError, getFlows } from '../lib/flows/load';
import { isListening } from './azurite';
import { localAccount } from './emulator/interpreter/twilioApi';
import { LOCAL_SETTINGS_FILE, localEnvironment } from './localSettings';

export const DEFAULT_PORT = 7071;
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

export interface StartPlan {
  env: Env;
  port: number;
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
  const port = Number(env.PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartError([`Cannot start: PORT must be a port number from 1 to 65535 (got "${env.PORT}").`]);
  }
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
  if (checkPort && (await isListening(port))) {
    throw new StartError([
      `Cannot start: something already listens on port ${port} (another npm start?). Stop it, or choose another port: PORT=7073 npm start`,
    ]);
  }
  return { env, port, settings, emulated };
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
