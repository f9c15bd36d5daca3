import type { Settings } from './config';
import type { CallRequest, MessageRequest } from './schemas';
import { getTwilioClient } from './twilioClient';
import { sayTwiml } from './twiml';

export const VOICE_WEBHOOK_PATH = '/api/twilio/voice';
export const SMS_WEBHOOK_PATH = '/api/twilio/sms';
export const STATUS_CALLBACK_PATH = '/api/twilio/status';

export interface Placed {
  sid: string;
  status: string;
  to: string;
  from: string;
}

/**
 * Places a call. Without say, twiml or url the call is answered by our own voiceWebhook,
 * so the callee hears the configured greeting, as in the seed.
 */
export async function placeCall(settings: Settings, origin: string, request: CallRequest): Promise<Placed> {
  const client = await getTwilioClient(settings);
  const answer = request.twiml
    ? { twiml: request.twiml }
    : request.say
      ? { twiml: sayTwiml(request.say) }
      : { url: request.url ?? `${origin}${VOICE_WEBHOOK_PATH}`, method: 'POST' as const };
  const call = await client.calls.create({
    to: request.to,
    from: request.from ?? settings.TWILIO_PHONE_NUMBER,
    ...answer,
  });
  return { sid: call.sid, status: call.status, to: call.to, from: call.from };
}

export async function sendMessage(settings: Settings, request: MessageRequest): Promise<Placed> {
  const client = await getTwilioClient(settings);
  const message = await client.messages.create({
    to: request.to,
    from: request.from ?? settings.TWILIO_PHONE_NUMBER,
    body: request.body,
    ...(request.mediaUrl ? { mediaUrl: request.mediaUrl } : {}),
  });
  return { sid: message.sid, status: message.status, to: message.to, from: message.from };
}
