import * as z from 'zod';
import { placedObservation } from '../../records/observations';
import { callTwilio, getTwilioClient } from '../../twilio/client';
import type { OutboundKind } from './kind';
import type { Placed } from '../../records/model';
import { sendMessage } from '../rest';

const payload = z.object({
  to: z.string().min(1),
  /** The sender, or a Messaging Service (`from` is then only where its record says it came from, and is optional). */
  from: z.string().min(1),
  messagingServiceSid: z.string().optional(),
  body: z.string().min(1).max(1600),
  mediaUrl: z.array(z.string()).max(10).optional(),
  /** What the text is (`forward`, `voicemail`…), kept on its record with the SID that caused it. */
  purpose: z.string().max(40).optional(),
  causeSid: z.string().max(64).optional(),
});

/** How many of the sender's latest messages to the recipient are searched for a text whose answer was lost. */
const SEARCHED = 50;

/** A text, sent by the same code as POST /api/messages. */
export const smsKind: OutboundKind<z.output<typeof payload>> = {
  payload,
  send: (settings, origin, text) => sendMessage(settings, origin, text, 'a queued text'),
  async find(settings, text, since) {
    const client = await getTwilioClient(settings);
    const recent = await callTwilio(
      () =>
        client.messages.list({
          to: text.to,
          ...(text.messagingServiceSid ? {} : { from: text.from }),
          limit: SEARCHED,
        }),
      `GET /api/messages?number=${encodeURIComponent(text.to)}`,
    );
    // A trial account prefixes the body; newest first, so the first match is the latest try.
    const sent = recent.find((message) => message.dateCreated >= since && (message.body ?? '').endsWith(text.body));
    return sent && { sid: sent.sid, status: sent.status, to: sent.to, from: sent.from };
  },
  observation: (placed: Placed, text) =>
    placedObservation('message', placed, { body: text.body, purpose: text.purpose, causeSid: text.causeSid }),
  describe: (text) => `${text.purpose && text.purpose !== 'sms' ? `${text.purpose} ` : ''}text to ${text.to}`,
};
