import { ConfigError, getSettings, type Settings } from './config/settings';
import { DEADLINES, storageDeadline } from './config/deadlines';
import { parseStorageConnection } from './config/storageConnection';
import { describeError } from './errors';
import { describeFlows, FlowFileError } from './flows/load';
import { storageErrorCode, StoreUnavailableError, withTables } from './records/tables';
import { version } from '../package.json';

const TWILIO_API = 'https://api.twilio.com';

export interface StorageReach {
  reachable: boolean;
  /** Why not, when it is not: no secret, only what failed. */
  problem?: string;
  checkedAt: string;
}

export interface Health {
  status: 'ok' | 'misconfigured' | 'storage-unreachable';
  version: string;
  twilio?: { endpoint: string; emulator: boolean; account: string };
  storage?: string;
  storageReach?: StorageReach;
  /** The flow file and what it holds. */
  flows?: string;
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
  const connection = parseStorageConnection(settings.AzureWebJobsStorage ?? '');
  if (connection?.development) return 'Azurite (UseDevelopmentStorage=true)';
  const endpoint = connection?.endpoints.table;
  const account = connection?.accountName;
  return endpoint
    ? `${endpoint} (connection string)`
    : account
      ? `account ${account} (connection string)`
      : 'connection string';
}

let lastProbe: { settings: Settings; at: number; result: Promise<StorageReach> } | undefined;

/**
 * Whether storage answers as Azure Table Storage does: a read of an entity that does not
 * exist must come back as storage's own 404 (`ResourceNotFound`). A server that is not
 * table storage (something else on Azurite's port) or does not answer in time fails. The
 * answer is kept for a few seconds, so a busy health endpoint does not load storage.
 */
export function probeStorage(settings: Settings): Promise<StorageReach> {
  if (lastProbe?.settings !== settings || Date.now() - lastProbe.at > DEADLINES.healthCacheMs) {
    lastProbe = { settings, at: Date.now(), result: runProbe(settings) };
  }
  return lastProbe.result;
}

async function runProbe(settings: Settings): Promise<StorageReach> {
  const checkedAt = new Date().toISOString();
  const signal = storageDeadline(DEADLINES.healthProbeMs);
  try {
    const answeredAsTableStorage = await withTables(settings, signal, async ({ records }) => {
      try {
        await records.getEntity('health-probe', 'absent', { abortSignal: signal });
        return false;
      } catch (error) {
        if (storageErrorCode(error) === 'ResourceNotFound' || storageErrorCode(error) === 'TableNotFound') return true;
        throw error;
      }
    });
    return answeredAsTableStorage
      ? { reachable: true, checkedAt }
      : { reachable: false, problem: 'a read of an absent entity succeeded', checkedAt };
  } catch (error) {
    const problem = signal.aborted
      ? `no answer within ${DEADLINES.healthProbeMs / 1000} s`
      : error instanceof StoreUnavailableError
        ? error.message
        : describeError(error);
    return { reachable: false, problem, checkedAt };
  }
}

/** Settings, where REST calls go, and whether storage answers: 503 when any is wrong, so an availability alert fires. */
export async function healthReport(): Promise<Health> {
  let settings: Settings;
  try {
    settings = getSettings();
  } catch (error) {
    if (error instanceof ConfigError) return { status: 'misconfigured', version, problems: error.lines };
    throw error;
  }
  let flows: string;
  try {
    flows = describeFlows(settings);
  } catch (error) {
    if (error instanceof FlowFileError)
      return { status: 'misconfigured', version, ...describeSetup(settings), problems: error.lines };
    throw error;
  }
  const storageReach = await probeStorage(settings);
  return {
    status: storageReach.reachable ? 'ok' : 'storage-unreachable',
    version,
    ...describeSetup(settings),
    flows,
    storageReach,
  };
}
