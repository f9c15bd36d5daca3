import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { callRecording } from '../lib/console/recording';

/** GET /api/calls/{sid}/recordings/{recordingSid}: a recording of the call, streamed with the app's credentials. */
app.http('getCallRecording', {
  methods: ['GET'],
  route: ROUTES.getCallRecording,
  authLevel: 'function',
  handler: callRecording,
});
