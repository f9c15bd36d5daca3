import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { messageFlowWebhook } from '../lib/flows/handlers';

/** POST /api/twilio/sms: records an incoming SMS, then answers with the messaging flow (the seed's /sms_url: the reply by default). */
export const smsWebhook = messageFlowWebhook;

app.http('smsWebhook', { methods: ['POST'], route: ROUTES.smsWebhook, authLevel: 'anonymous', handler: smsWebhook });
