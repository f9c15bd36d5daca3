import { app, type HttpResponseInit } from '@azure/functions';
import { health as checkHealth } from '../lib/health';
import { handle, json } from '../lib/http';

/** GET /api/health: liveness and configuration sanity; names bad settings, never a value. */
export const health = handle(async (): Promise<HttpResponseInit> => {
  const report = checkHealth();
  return json(report.status === 'ok' ? 200 : 503, report);
});

app.http('health', { methods: ['GET'], route: 'health', authLevel: 'anonymous', handler: health });
