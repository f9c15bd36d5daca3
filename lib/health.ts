import { ConfigError, loadSettings, type Settings } from './config';
import { version } from '../package.json';

const TWILIO_API = 'https://api.twilio.com';

export interface Health {
  status: 'ok' | 'misconfigured';
  version: string;
  twilio?: { endpoint: string; emulator: boolean; account: string };
  storage?: string;
  problems?: string[];
}

/** Where this app sends REST calls and keeps records; the account SID is shortened and no secret is named. */
export function describeSetup(settings: Settings): Required<Pick<Health, 'twilio' | 'storage'>> {
  const endpoint = settings.TWILIO_API_BASE_URL ?? TWILIO_API;
  return {
    twilio: {
      endpoint,
      emulator: Boolean(settings.TWILIO_API_BASE_URL),
      account: `${settings.TWILIO_ACCOUNT_SID.slice(0, 6)}…${settings.TWILIO_ACCOUNT_SID.slice(-4)}`,
    },
    storage: describeStorage(settings),
  };
}

function describeStorage(settings: Settings): string {
  if (settings.AzureWebJobsStorage__tableServiceUri) {
    return `${settings.AzureWebJobsStorage__tableServiceUri} (managed identity)`;
  }
  const connection = settings.AzureWebJobsStorage ?? '';
  if (/UseDevelopmentStorage=true/i.test(connection)) return 'Azurite (UseDevelopmentStorage=true)';
  const parts = new Map(
    connection.split(';').flatMap((part) => {
      const at = part.indexOf('=');
      return at > 0 ? [[part.slice(0, at).toLowerCase(), part.slice(at + 1)] as const] : [];
    }),
  );
  const endpoint = parts.get('tableendpoint');
  const account = parts.get('accountname');
  return endpoint ? `${endpoint} (connection string)` : account ? `account ${account} (connection string)` : 'connection string';
}

export function health(env: Record<string, string | undefined> = process.env): Health {
  try {
    return { status: 'ok', version, ...describeSetup(loadSettings(env)) };
  } catch (error) {
    if (error instanceof ConfigError) return { status: 'misconfigured', version, problems: error.problems };
    throw error;
  }
}
