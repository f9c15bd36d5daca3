/** `sms`: a text during the call, to the caller or a fixed number. */
import * as z from 'zod';
import { e164, text } from '../fields';
import { MAX_SMS_LENGTH } from '../text';
import { defineAction } from './action';

export const sms = defineAction({
  schema: z
    .union([text, z.strictObject({ text, to: e164.optional().meta({ description: 'Default: the caller.' }) })], {
      error: 'must be text, or { "text", "to" }',
    })
    .meta({ description: 'Send a text during the call, to the caller or a fixed number.' }),
  ends: false,
  write: (twiml, value) => {
    const sms = typeof value === 'string' ? { text: value } : value;
    twiml.response.sms(sms.to ? { to: sms.to } : {}, twiml.text(sms.text).slice(0, MAX_SMS_LENGTH));
  },
});
