import { ConfigError, getSettings, type Settings } from './config/settings';
import { DEADLINES, storageDeadline } from './config/deadlines';
import { parseStorageConnection } from './config/storageConnection';
import { describeError } from './errors';
import { now } from './config/clock';
import { lineNow, type LineNow } from './flows/hours';
import { describeFlows, FlowFileError, getFlows } from './flows/load';
import { queueCounts, type QueueCounts } from './outbound/queue';
import { storageErrorCode, StoreUnavailableError, withTables } from './records/tables';
import { version } from '../package.json';
import { QUEUES } from './config/queues';

const TWILIO_API = 'https://api.twilio.com';

export type StepOutcome = 'ok' | 'failed';

export interface StorageReach {
  /** Both the write and the read of the health entity succeeded within the probe's deadline. */
  reachable: boolean;
  /** The upsert of the health entity: what every webhook needs. */
  write: StepOutcome;
  /** The point read of it (or storage's own 404 for it). */
  read: StepOutcome;
  /** Which failed and why, when one did: no secret, only what failed. */
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
  /** Whether the line is open now (the flow file's hours) and until when. */
  line?: LineNow;
  /** The outbound queue: texts waiting to be sent, and those in its poison queue (every try failed: look at them). */
  outbound?: QueueCounts | { queue: string; problem: string };
  /** The campaigns queue: recipients waiting to be sent, and those in its poison queue (every try failed: look at them). */
  campaigns?: QueueCounts | { queue: string; problem: string };
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
type QueueReport = NonNullable<Health['outbound']>;
const lastCounts = new Map<string, { settings: Settings; at: number; result: Promise<QueueReport> }>();

/** A queue's counts (QUEUES.outbound, QUEUES.campaigns), kept for healthCacheMs like the storage probe. */
function countQueue(settings: Settings, queue: string): Promise<QueueReport> {
  const last = lastCounts.get(queue);
  if (last?.settings === settings && Date.now() - last.at <= DEADLINES.healthCacheMs) return last.result;
  const result = queueCounts(settings, storageDeadline(DEADLINES.healthProbeMs), queue).catch((error: unknown) => ({
    queue,
    problem: describeError(error),
  }));
  lastCounts.set(queue, { settings, at: Date.now(), result });
  return result;
}

/**
 * Whether storage does what the webhooks need: a write of a small health entity, then a read
 * of it, each within the probe's deadline. Each is reported on its own (storage that reads but
 * refuses writes is down for every webhook). The read must come back as table storage answers:
 * the entity, or storage's own 404 (`ResourceNotFound`) when the write did not land, so a server
 * that is not table storage fails. The answer is kept for a few seconds, so a busy health
 * endpoint does not load storage.
 */
export function probeStorage(settings: Settings): Promise<StorageReach> {
  if (lastProbe?.settings !== settings || Date.now() - lastProbe.at > DEADLINES.healthCacheMs) {
    lastProbe = { settings, at: Date.now(), result: runProbe(settings) };
  }
  return lastProbe.result;
}

/** One entity every instance overwrites: the probe never grows the table. Its partition is no record's. */
const HEALTH_ENTITY = { partitionKey: 'health-probe', rowKey: 'probe' };

async function runProbe(settings: Settings): Promise<StorageReach> {
  const checkedAt = new Date().toISOString();
  const signal = storageDeadline(DEADLINES.healthProbeMs);
  const write = await probeStep(signal, () =>
    withTables(settings, signal, async ({ records }) => {
      await records.upsertEntity({ ...HEALTH_ENTITY, checkedAt }, 'Replace', { abortSignal: signal });
    }),
  );
  const read = await probeStep(signal, () =>
    withTables(settings, signal, async ({ records }) => {
      try {
        const entity = await records.getEntity<{ checkedAt?: unknown }>(
          HEALTH_ENTITY.partitionKey,
          HEALTH_ENTITY.rowKey,
          {
            abortSignal: signal,
          },
        );
        if (typeof entity.checkedAt !== 'string') throw new Error('the health entity came back without its checkedAt');
      } catch (error) {
        if (storageErrorCode(error) !== 'ResourceNotFound' || write.ok) throw error;
      }
    }),
  );
  const problem = [
    write.problem && `the write of the health entity failed: ${write.problem}`,
    read.problem && `the read of the health entity failed: ${read.problem}`,
  ]
    .filter(Boolean)
    .join('; ');
  return {
    reachable: write.ok && read.ok,
    write: write.ok ? 'ok' : 'failed',
    read: read.ok ? 'ok' : 'failed',
    ...(problem ? { problem } : {}),
    checkedAt,
  };
}

async function probeStep(signal: AbortSignal, step: () => Promise<void>): Promise<{ ok: boolean; problem?: string }> {
  try {
    await step();
    return { ok: true };
  } catch (error) {
    const problem = signal.aborted
      ? `no answer within ${DEADLINES.healthProbeMs / 1000} s`
      : error instanceof StoreUnavailableError
        ? error.message
        : describeError(error);
    return { ok: false, problem };
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
  let line: LineNow;
  try {
    flows = describeFlows(settings);
    line = lineNow(getFlows(settings).hours, now());
  } catch (error) {
    if (error instanceof FlowFileError)
      return { status: 'misconfigured', version, ...describeSetup(settings), problems: error.lines };
    throw error;
  }
  const [storageReach, outbound, campaigns] = await Promise.all([
    probeStorage(settings),
    countQueue(settings, QUEUES.outbound),
    countQueue(settings, QUEUES.campaigns),
  ]);
  return {
    status: storageReach.reachable ? 'ok' : 'storage-unreachable',
    version,
    ...describeSetup(settings),
    flows,
    line,
    storageReach,
    outbound,
    campaigns,
  };
}
