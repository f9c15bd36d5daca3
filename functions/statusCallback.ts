import { app } from '@azure/functions';
import { statusCallbackObservation } from '../lib/records/observations';
import { saveObservation } from '../lib/records/store';
import { twilioWebhook } from '../lib/twilio/webhook';
import { ROUTES } from '../lib/config/routes';

/**
 * POST /api/twilio/status: call and message status callbacks. Recorded before answering, so
 * a 2xx always means recorded; a storage failure answers 503 and Twilio may deliver it again.
 */
export const statusCallback = twilioWebhook(async (params, _context, settings) => {
  await saveObservation(settings, statusCallbackObservation(params));
  return { status: 204 };
});

app.http('statusCallback', { methods: ['POST'], route: ROUTES.statusCallback, authLevel: 'anonymous', handler: statusCallback });
