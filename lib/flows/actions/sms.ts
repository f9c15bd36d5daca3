/**
 * `sms`: a text during the call, to the caller or a fixed number. Sent through the Messages API
 * on the outbound queue (never the deprecated `<Sms>` verb, whose texts get no status callback
 * and no record): recorded, checked against the opt-out list, once however often the turn is replayed.
 */
import * as z from 'zod';
import { e164, text } from '../fields';
import { MAX_SMS_LENGTH } from '../text';
import { defineAction, lazySchema } from './action';

const schema = lazySchema(() =>
  z
    .union([text, z.strictObject({ text, to: e164.optional().meta({ description: 'Default: the caller.' }) })], {
      error: 'must be text, or { "text", "to" }',
    })
    .meta({ description: 'Send a text during the call, to the caller or a fixed number.' }),
);

export const sms = defineAction({
  get schema() {
    return schema();
  },
  ends: false,
  channels: ['voice', 'messaging'],
  write: (twiml, value) => {
    const sms = typeof value === 'string' ? { text: value } : value;
    twiml.sendText(twiml.text(sms.text).slice(0, MAX_SMS_LENGTH), sms.to);
  },
});
