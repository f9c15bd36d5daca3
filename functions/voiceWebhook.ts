import { app } from '@azure/functions';
import { twiml } from '../lib/http';
import { sayTwiml } from '../lib/twiml';
import { twilioWebhook } from '../lib/twilioWebhook';

/** POST /api/twilio/voice: answers an incoming call with the greeting (the seed's /voice_url). */
export const voiceWebhook = twilioWebhook((_params, _context, settings) => twiml(sayTwiml(settings.VOICE_GREETING)));

app.http('voiceWebhook', {
  methods: ['POST'],
  route: 'twilio/voice',
  authLevel: 'anonymous',
  handler: voiceWebhook,
});
