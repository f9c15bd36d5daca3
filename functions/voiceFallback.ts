import { app } from '@azure/functions';
import { field } from '../lib/http/requests';
import { logText } from '../lib/http/logText';
import { twiml } from '../lib/http/responses';
import { flowsOrDefault } from '../lib/flows/handlers';
import { answerCall } from '../lib/flows/voice';
import { twilioWebhook } from '../lib/twilio/webhook';
import { ROUTES } from '../lib/config/routes';

/**
 * POST /api/twilio/voice/fallback: the number's VoiceFallbackUrl. Twilio asks it when the
 * voice webhook failed (storage down: 503), so the caller still hears the flow (the greeting by default). Nothing
 * is written; the log names the call so it can be reconciled.
 */
export const voiceFallback = twilioWebhook(async (params, context, settings) => {
  context.warn(
    `Answered call ${logText(field(params, 'CallSid'))} from the fallback without recording it (Twilio error ${logText(field(params, 'ErrorCode'))})`,
  );
  return twiml((await answerCall(flowsOrDefault(settings, context), params, settings, undefined, { context })).twiml);
});

app.http('voiceFallback', {
  methods: ['POST'],
  route: ROUTES.voiceFallback,
  authLevel: 'anonymous',
  handler: voiceFallback,
});
