import { app, type HttpResponseInit } from '@azure/functions';
import { healthReport } from '../lib/health';
import { handle } from '../lib/http/handle';
import { json } from '../lib/http/responses';
import { ROUTES } from '../lib/config/routes';

/** GET /api/health: settings, Twilio endpoint and storage reachability; 503 when any is wrong; never a secret. */
export const health = handle(async (): Promise<HttpResponseInit> => {
  const report = await healthReport();
  return json(report.status === 'ok' ? 200 : 503, report);
});

app.http('health', { methods: ['GET'], route: ROUTES.health, authLevel: 'anonymous', handler: health });
