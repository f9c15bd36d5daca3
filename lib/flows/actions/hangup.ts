/** `hangup`: end the call. */
import * as z from 'zod';
import { defineAction } from './action';

export const hangup = defineAction({
  schema: z.literal(true),
  ends: true,
  write: (twiml) => {
    twiml.response.hangup();
  },
});
