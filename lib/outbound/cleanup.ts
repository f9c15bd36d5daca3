/**
 * The cleanup timer's work: idempotency keys past their 24 h, then records past
 * RECORD_RETENTION_DAYS (and recordings past RECORDING_RETENTION_DAYS), then text conversations
 * whose last activity is past RECORD_RETENTION_DAYS, in bounded batches.
 */
import type { InvocationContext } from '@azure/functions';
import { DEADLINES, storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { logProperties } from '../http/handle';
import type { ConversationRetentionCounts } from '../records/conversations';
import { expireConversationsPastRetention, expireRecords, type RetentionCounts } from '../records/retention';
import { expireKeys } from './idempotency';

/** Every day at 03:30 UTC (NCRONTAB, seconds first): a quiet hour for most lines. */
export const CLEANUP_SCHEDULE = '0 30 3 * * *';

export interface CleanupResult extends RetentionCounts, ConversationRetentionCounts {
  idempotencyKeys: number;
  /** False when the run stopped at its budget (records or conversations): the next run goes on. */
  finished: boolean;
}

/** One cleanup run as of `now` (a test's clock, else the time it runs). */
export async function cleanup(
  settings: Settings,
  context: InvocationContext,
  { now = new Date() }: { now?: Date } = {},
): Promise<CleanupResult> {
  const signal = storageDeadline(DEADLINES.maintenanceMs);
  // Stop starting work well before the deadline: what is left waits for the next run.
  const deadline = Date.now() + DEADLINES.maintenanceMs / 2;
  const idempotencyKeys = await expireKeys(settings, now, signal);
  const records = await expireRecords(settings, { now, deadline, signal });
  const conversations = await expireConversationsPastRetention(settings, { now, deadline, signal });
  const { finished: recordsFinished, ...recordCounts } = records;
  const { finished: conversationsFinished, ...conversationCounts } = conversations;
  const finished = recordsFinished && conversationsFinished;
  const result = { idempotencyKeys, ...recordCounts, ...conversationCounts, finished };
  context.log(`Cleanup: ${JSON.stringify(result)} ${logProperties(context)}`);
  return result;
}
