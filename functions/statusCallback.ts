import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { recordedWebhook } from '../lib/records/handlers';
import { statusCallbackObservation } from '../lib/records/observations';

/** POST /api/twilio/status: call and message status callbacks, recorded before the 204. */
export const statusCallback = recordedWebhook((params) => ({
  observation: statusCallbackObservation(params),
  response: { status: 204 },
}));

app.http('statusCallback', {
  methods: ['POST'],
  route: ROUTES.statusCallback,
  authLevel: 'anonymous',
  handler: statusCallback,
});
