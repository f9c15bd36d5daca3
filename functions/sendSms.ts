import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getSettings } from '../lib/config';
import { handle, json, readJson } from '../lib/http';
import { placedObservation } from '../lib/observations';
import { recordCreated, sendMessage } from '../lib/outbound';
import { publicOrigin } from '../lib/publicUrl';
import { messageRequest } from '../lib/schemas';
import { twilioErrorResponse } from '../lib/twilioClient';

/** POST /api/messages: sends an SMS (or MMS with mediaUrl). */
export const sendSms = handle(async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
  const settings = getSettings();
  const body = await readJson(request, messageRequest);
  let message;
  try {
    message = await sendMessage(settings, publicOrigin(request, settings), body);
  } catch (error) {
    return twilioErrorResponse(error, context);
  }
  context.log(`Sent message ${message.sid} to ${message.to}`);
  await recordCreated(settings, context, placedObservation('message', message, { body: body.body, mediaUrls: body.mediaUrl }));
  return json(201, message);
});

app.http('sendSms', { methods: ['POST'], route: 'messages', authLevel: 'function', handler: sendSms });
