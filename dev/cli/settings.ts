import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { accountSid } from '../../lib/config/settings';
import { readLocalSettings } from '../localSettings';
import { CommandError } from './args';

/**
 * What `npm start` writes when it runs the app against the local emulator with generated
 * credentials, so `simulate` and `webhooks` in another terminal sign and authenticate with
 * the same ones. It lives under .local/ (git-ignored) and only while npm start runs.
 */
export interface DevSession {
  accountSid: string;
  authToken: string;
  phoneNumber: string;
  emulatorUrl: string;
  appUrl: string;
}

/** One session per port, so two npm starts (PORT=7072) keep theirs apart and stopping one leaves the other's. */
const SESSION_FOLDER = '.local';
const SESSION_NAME = /^dev-session-(\d+)\.json$/;
export const devSessionFile = (port: number | string) => join(SESSION_FOLDER, `dev-session-${port}.json`);
/** How the session files are named, for messages. */
export const DEV_SESSION_FILE = devSessionFile('<port>');

const devSession = z.object({
  accountSid,
  authToken: z.string().min(1),
  phoneNumber: z.string().min(1),
  emulatorUrl: z.url(),
  appUrl: z.url(),
});

const portOf = (session: DevSession) => new URL(session.appUrl).port || '80';

export function writeDevSession(root: string, session: DevSession): string {
  const file = join(root, devSessionFile(portOf(session)));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export function removeDevSession(root: string, session: DevSession): void {
  rmSync(join(root, devSessionFile(portOf(session))), { force: true });
}

/**
 * The session of the npm start on PORT when it is set, else of the only one running; with
 * several and no PORT the caller is asked to choose.
 */
export function readDevSession(root: string, env: Record<string, string | undefined> = {}): DevSession | undefined {
  const ports = existsSync(join(root, SESSION_FOLDER))
    ? readdirSync(join(root, SESSION_FOLDER)).flatMap((name) => SESSION_NAME.exec(name)?.[1] ?? [])
    : [];
  const port = env.PORT?.trim() || (ports.length === 1 ? ports[0] : undefined);
  if (!port) {
    if (ports.length > 1)
      throw new CommandError(
        `npm start runs on several ports (${ports.join(', ')}): set PORT to the one this command is for`,
      );
    return undefined;
  }
  const file = devSessionFile(port);
  if (!existsSync(join(root, file))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(root, file), 'utf8'));
  } catch {
    throw new CommandError(`${file} is not valid JSON; delete it and restart npm start`);
  }
  const result = devSession.safeParse(parsed);
  if (!result.success) throw new CommandError(`${file} is not a dev session file; delete it and restart npm start`);
  return result.data;
}

/** local.settings.json's Values under the environment (environment wins, as with func start); empty values count as unset. */
export function readSettings(root: string, env: Record<string, string | undefined>): Record<string, string> {
  let local: Record<string, string>;
  try {
    local = readLocalSettings(root);
  } catch {
    throw new CommandError('local.settings.json is not valid JSON');
  }
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...local, ...env })) {
    if (value !== undefined && value.trim() !== '') merged[key] = value.trim();
  }
  return merged;
}

/** The Twilio account a command acts as, and where its REST calls go. */
export interface TwilioTarget {
  accountSid: string;
  authToken: string;
  phoneNumber?: string;
  /** The emulator (or any stand-in) instead of api.twilio.com. */
  apiBaseUrl?: string;
  /** The app started by npm start, when known. */
  appUrl?: string;
  source: 'settings' | 'dev session';
}

/**
 * Credentials as the app sees them: from the environment or local.settings.json when both
 * the account SID and the auth token are set there; otherwise from the session npm start
 * wrote for its generated emulator credentials.
 */
export function resolveTwilioTarget(root: string, env: Record<string, string | undefined>): TwilioTarget {
  const settings = readSettings(root, env);
  const { TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken } = settings;
  if (accountSid && authToken) {
    return {
      accountSid,
      authToken,
      phoneNumber: settings.TWILIO_PHONE_NUMBER,
      apiBaseUrl: settings.TWILIO_API_BASE_URL,
      source: 'settings',
    };
  }
  const session = readDevSession(root, env);
  if (session) {
    return {
      accountSid: session.accountSid,
      authToken: session.authToken,
      phoneNumber: session.phoneNumber,
      apiBaseUrl: session.emulatorUrl,
      appUrl: session.appUrl,
      source: 'dev session',
    };
  }
  const missing = [accountSid ? undefined : 'TWILIO_ACCOUNT_SID', authToken ? undefined : 'TWILIO_AUTH_TOKEN'].filter(
    Boolean,
  );
  throw new CommandError(
    `No Twilio credentials: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set in the environment or local.settings.json, ` +
      `and there is no ${DEV_SESSION_FILE} (npm start writes it when it runs the local emulator). Start the app with npm start, or set them.`,
  );
}

/** The project root: the nearest folder above `from` holding package.json, host.json and tsconfig.json (works from dev/ and dist/dev/). */
export function findProjectRoot(from: string): string {
  let folder = from;
  for (;;) {
    // tsconfig.json too: the build copies package.json and host.json into dist/, which is no root.
    if (['package.json', 'host.json', 'tsconfig.json'].every((name) => existsSync(join(folder, name)))) return folder;
    const parent = dirname(folder);
    if (parent === folder) return from;
    folder = parent;
  }
}
