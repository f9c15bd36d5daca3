import { app } from '@azure/functions';
import { twiml } from '../lib/http/responses';
import { smsWebhookObservation } from '../lib/records/observations';
import { saveObservation } from '../lib/records/store';
import { messageTwiml } from '../lib/twilio/twiml';
import { twilioWebhook } from '../lib/twilio/webhook';
import { ROUTES } from '../lib/config/routes';

/** POST /api/twilio/sms: records an incoming SMS, then answers with the configured reply (the seed's /sms_url). */
export const smsWebhook = twilioWebhook(async (params, _context, settings) => {
  await saveObservation(settings, smsWebhookObservation(params));
  return twiml(messageTwiml(settings.SMS_REPLY));
});

app.http('smsWebhook', {
  methods: ['POST'],
  route: ROUTES.smsWebhook,
  authLevel: 'anonymous',
  handler: smsWebhook,
});
