import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { twiml } from '../lib/http/responses';
import { recordedWebhook } from '../lib/records/handlers';
import { smsWebhookObservation } from '../lib/records/observations';
import { messageTwiml } from '../lib/twilio/twiml';

/** POST /api/twilio/sms: records an incoming SMS, then answers with the configured reply (the seed's /sms_url). */
export const smsWebhook = recordedWebhook(smsWebhookObservation, (settings) => twiml(messageTwiml(settings.SMS_REPLY)));

app.http('smsWebhook', { methods: ['POST'], route: ROUTES.smsWebhook, authLevel: 'anonymous', handler: smsWebhook });
