import { app, type InvocationContext } from '@azure/functions';
import { getSettings } from '../lib/config/settings';
import { cleanup as run, CLEANUP_SCHEDULE } from '../lib/outbound/cleanup';

/** Daily: idempotency keys past 24 h, records and text conversations past RECORD_RETENTION_DAYS, recordings past RECORDING_RETENTION_DAYS. */
export const cleanup = async (_timer: unknown, context: InvocationContext) => {
  await run(getSettings(), context);
};

app.timer('cleanup', { schedule: CLEANUP_SCHEDULE, handler: cleanup });
