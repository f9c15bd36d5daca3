import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { postMessageRequest } from '../lib/outbound/schemas';
import { json } from '../lib/http/responses';
import { logText } from '../lib/http/logText';
import { createOnce } from '../lib/outbound/handler';
import { recordCreated, sendMessage } from '../lib/outbound/rest';
import { placedObservation } from '../lib/records/observations';

/** POST /api/messages: sends an SMS (or MMS with mediaUrl), or starts a text conversation (flow); an Idempotency-Key makes retries safe. */
export const sendSms = createOnce('messages', postMessageRequest, async (settings, origin, request, context) => {
  const { flow, body: text, ...rest } = request;
  if (flow)
    return (await import('../lib/flows/conversationApi.js')).startFromRequest(
      settings,
      origin,
      { ...request, flow },
      context,
    );
  const body = { ...rest, body: text! };
  const message = await sendMessage(settings, origin, body);
  context.log(`Sent message ${message.sid} to ${logText(message.to)}`);
  await recordCreated(
    settings,
    context,
    placedObservation('message', message, { body: body.body, mediaUrls: body.mediaUrl }),
  );
  return json(201, message);
});

app.http('sendSms', { methods: ['POST'], route: ROUTES.sendSms, authLevel: 'function', handler: sendSms });
