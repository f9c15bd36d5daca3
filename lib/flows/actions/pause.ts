/** `pause`: silence. */
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import * as z from 'zod';
import { seconds } from '../fields';
import { defineAction, lazySchema } from './action';

const schema = lazySchema(() =>
  z
    .union([seconds(600), z.strictObject({ length: seconds(600) })], {
      error: 'must be seconds (1 to 600), or { "length" }',
    })
    .meta({ description: 'Silence, in seconds.' }),
);

/** A pause inside `parent` (the response, or a gather's prompt). */
export function pauseIn(parent: { pause: VoiceResponse['pause'] }, value: z.output<ReturnType<typeof schema>>): void {
  parent.pause({ length: typeof value === 'number' ? value : value.length });
}

export const pause = defineAction({
  get schema() {
    return schema();
  },
  ends: false,
  write: (twiml, value) => pauseIn(twiml.response, value),
});
