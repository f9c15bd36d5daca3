import { app } from '@azure/functions';
import { twiml } from '../lib/http/responses';
import { voiceWebhookObservation } from '../lib/records/observations';
import { saveObservation } from '../lib/records/store';
import { sayTwiml } from '../lib/twilio/twiml';
import { twilioWebhook } from '../lib/twilio/webhook';
import { ROUTES } from '../lib/config/routes';

/** POST /api/twilio/voice: records the call, then answers with the greeting (the seed's /voice_url). */
export const voiceWebhook = twilioWebhook(async (params, _context, settings) => {
  await saveObservation(settings, voiceWebhookObservation(params));
  return twiml(sayTwiml(settings.VOICE_GREETING));
});

app.http('voiceWebhook', {
  methods: ['POST'],
  route: ROUTES.voiceWebhook,
  authLevel: 'anonymous',
  handler: voiceWebhook,
});
