import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { twiml } from '../lib/http/responses';
import { recordedWebhook } from '../lib/records/handlers';
import { voiceWebhookObservation } from '../lib/records/observations';
import { sayTwiml } from '../lib/twilio/twiml';

/** POST /api/twilio/voice: records the call, then answers with the greeting (the seed's /voice_url). */
export const voiceWebhook = recordedWebhook(voiceWebhookObservation, (settings) => twiml(sayTwiml(settings.VOICE_GREETING)));

app.http('voiceWebhook', { methods: ['POST'], route: ROUTES.voiceWebhook, authLevel: 'anonymous', handler: voiceWebhook });
