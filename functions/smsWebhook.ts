import { app } from '@azure/functions';
import { twiml } from '../lib/http';
import { smsWebhookObservation } from '../lib/observations';
import { saveObservation } from '../lib/records';
import { messageTwiml } from '../lib/twiml';
import { twilioWebhook } from '../lib/twilioWebhook';

/** POST /api/twilio/sms: records an incoming SMS, then answers with the configured reply (the seed's /sms_url). */
export const smsWebhook = twilioWebhook(async (params, _context, settings) => {
  await saveObservation(settings, smsWebhookObservation(params));
  return twiml(messageTwiml(settings.SMS_REPLY));
});

app.http('smsWebhook', {
  methods: ['POST'],
  route: 'twilio/sms',
  authLevel: 'anonymous',
  handler: smsWebhook,
});
