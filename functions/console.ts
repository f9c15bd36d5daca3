import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { loadedOnUse } from '../lib/http/handle';

/** GET /api/console: the web console (call and message log, timelines, the flow drawn). */
app.http('console', {
  methods: ['GET'],
  route: ROUTES.console,
  authLevel: 'function',
  handler: loadedOnUse(async () => (await import('../lib/console/page.js')).consolePage),
});
