import { app } from '@azure/functions';
import { twiml } from '../lib/http';
import { messageTwiml } from '../lib/twiml';
import { twilioWebhook } from '../lib/twilioWebhook';

/** POST /api/twilio/sms: answers an incoming SMS with the configured reply (the seed's /sms_url). */
export const smsWebhook = twilioWebhook((_params, _context, settings) => twiml(messageTwiml(settings.SMS_REPLY)));

app.http('smsWebhook', {
  methods: ['POST'],
  route: 'twilio/sms',
  authLevel: 'anonymous',
  handler: smsWebhook,
});
