/** `reject`: do not answer the call (it is not billed), with a busy tone or as rejected. */
import * as z from 'zod';
import { defineAction } from './action';

export const reject = defineAction({
  schema: z.strictObject({ reason: z.enum(['rejected', 'busy']).default('rejected') }),
  ends: true,
  write: (twiml, value) => {
    twiml.response.reject({ reason: value.reason });
  },
});
