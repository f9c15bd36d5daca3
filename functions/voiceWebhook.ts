import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { voiceFlowWebhook } from '../lib/flows/handlers';

/** POST /api/twilio/voice: records the call, then answers with the voice flow (the seed's /voice_url: the greeting by default). */
export const voiceWebhook = voiceFlowWebhook;

app.http('voiceWebhook', {
  methods: ['POST'],
  route: ROUTES.voiceWebhook,
  authLevel: 'anonymous',
  handler: voiceWebhook,
});
