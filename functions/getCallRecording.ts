import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { loadedOnUse } from '../lib/http/handle';

/** GET /api/calls/{sid}/recordings/{recordingSid}: a recording of the call, streamed with the app's credentials. */
app.http('getCallRecording', {
  methods: ['GET'],
  route: ROUTES.getCallRecording,
  authLevel: 'function',
  handler: loadedOnUse(async () => (await import('../lib/console/recording.js')).callRecording),
});
