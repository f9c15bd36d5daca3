import { app } from '@azure/functions';
import { field } from '../lib/http/requests';
import { logText } from '../lib/http/logText';
import { twiml } from '../lib/http/responses';
import { flowsOrDefault } from '../lib/flows/handlers';
import { answerMessage } from '../lib/flows/messaging';
import { twilioWebhook } from '../lib/twilio/webhook';
import { ROUTES } from '../lib/config/routes';

/**
 * POST /api/twilio/sms/fallback: the number's SmsFallbackUrl. Twilio asks it when the SMS
 * webhook failed (storage down: 503), so the sender still gets the flow's reply. Nothing is written;
 * the log names the message so it can be reconciled.
 */
export const smsFallback = twilioWebhook(async (params, context, settings) => {
  context.warn(
    `Answered message ${logText(field(params, 'MessageSid'))} from the fallback without recording it (Twilio error ${logText(field(params, 'ErrorCode'))})`,
  );
  return twiml(
    (await answerMessage(flowsOrDefault(settings, context), params, settings, undefined, { context })).twiml,
  );
});

app.http('smsFallback', { methods: ['POST'], route: ROUTES.smsFallback, authLevel: 'anonymous', handler: smsFallback });
