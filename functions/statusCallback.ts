import { app } from '@azure/functions';
import { storageDeadline } from '../lib/config/deadlines';
import { ROUTES } from '../lib/config/routes';
import { recordedWebhook } from '../lib/records/handlers';
import { statusCallbackObservation } from '../lib/records/observations';
import { settleFromCallback } from '../lib/campaigns/progress';

/** POST /api/twilio/status: call and message status callbacks, recorded before the 204; a campaign's send settled. */
export const statusCallback = recordedWebhook((params, _context, settings) => {
  const observation = statusCallbackObservation(params);
  const signal = storageDeadline();
  return { observation, response: { status: 204 }, signal, after: () => settleFromCallback(settings, observation.sid) };
});

app.http('statusCallback', {
  methods: ['POST'],
  route: ROUTES.statusCallback,
  authLevel: 'anonymous',
  handler: statusCallback,
});
