import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getSettings } from '../lib/config/settings';
import { handle } from '../lib/http/handle';
import { readJson } from '../lib/http/requests';
import { json } from '../lib/http/responses';
import { once } from '../lib/outbound/idempotency';
import { placedObservation } from '../lib/records/observations';
import { recordCreated, sendMessage } from '../lib/outbound/rest';
import { publicOrigin } from '../lib/http/publicUrl';
import { messageRequest } from '../lib/http/schemas';
import { ROUTES } from '../lib/config/routes';

/** POST /api/messages: sends an SMS (or MMS with mediaUrl); an Idempotency-Key makes retries safe. */
export const sendSms = handle(async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
  const settings = getSettings();
  const body = await readJson(request, messageRequest);
  return once(settings, context, request, 'messages', body, async () => {
    const message = await sendMessage(settings, publicOrigin(request, settings), body);
    context.log(`Sent message ${message.sid} to ${message.to}`);
    await recordCreated(settings, context, placedObservation('message', message, { body: body.body, mediaUrls: body.mediaUrl }));
    return json(201, message);
  });
});

app.http('sendSms', { methods: ['POST'], route: ROUTES.sendSms, authLevel: 'function', handler: sendSms });
