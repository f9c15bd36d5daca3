import { ConfigError, getSettings, type Settings } from './config/settings';
import { DEADLINES, storageDeadline } from './config/deadlines';
import { describeError } from './errors';
import { describeFlows, FlowFileError } from './flows/load';
import { queueCounts, type QueueCounts } from './outbound/queue';
import { storageErrorCode, StoreUnavailableError, withTables } from './records/tables';
import { version } from '../package.json';
import { QUEUES } from './config/queues';

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
  /** The outbound queue: texts waiting to be sent, and those in its poison queue (every try failed: look at them). */
  outbound?: QueueCounts | { queue: string; problem: string };
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
  return endpoint
    ? `${endpoint} (connection string)`
    : account
      ? `account ${account} (connection string)`
      : 'connection string';
}

let lastProbe: { settings: Settings; at: number; result: Promise<StorageReach> } | undefined;
let lastCount: { settings: Settings; at: number; result: Promise<NonNullable<Health['outbound']>> } | undefined;

/** The outbound queue's counts, kept for healthCacheMs like the storage probe. */
function countQueue(settings: Settings): Promise<NonNullable<Health['outbound']>> {
  if (lastCount?.settings !== settings || Date.now() - lastCount.at > DEADLINES.healthCacheMs) {
    const result = queueCounts(settings, storageDeadline(DEADLINES.healthProbeMs)).catch((error: unknown) => ({
      queue: QUEUES.outbound,
      problem: describeError(error),
    }));
    lastCount = { settings, at: Date.now(), result };
  }
  return lastCount.result;
}

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
    if (error instanceof ConfigError) return { status: 'misconfigured', version, problems: error.problems };
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
  const [storageReach, outbound] = await Promise.all([probeStorage(settings), countQueue(settings)]);
  return {
    status: storageReach.reachable ? 'ok' : 'storage-unreachable',
    version,
    ...describeSetup(settings),
    flows,
    storageReach,
    outbound,
  };
}
