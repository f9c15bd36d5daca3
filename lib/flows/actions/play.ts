/** `play`: an audio file, or DTMF tones. */
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import * as z from 'zod';
import { https, loop } from '../fields';
import { defineAction, lazySchema } from './action';

const schema = lazySchema(() =>
  z
    .union(
      [
        https,
        z.strictObject({
          url: https.optional(),
          loop: loop.optional(),
          digits: z
            .string()
            .regex(/^[0-9*#wW]+$/, 'must be DTMF keys (0-9, *, #, w)')
            .optional(),
        }),
      ],
      {
        error: 'must be an https URL, or { "url", "loop", "digits" }',
      },
    )
    .meta({ description: 'Play an audio file (https URL), or DTMF tones with { "digits" }.' }),
);

/** Plays `value` inside `parent` (the response, or a gather's prompt). */
export function playIn(parent: { play: VoiceResponse['play'] }, value: z.output<ReturnType<typeof schema>>): void {
  const { url, ...attributes } = typeof value === 'string' ? { url: value } : value;
  parent.play(attributes, url);
}

export const play = defineAction({
  get schema() {
    return schema();
  },
  ends: false,
  write: (twiml, value) => playIn(twiml.response, value),
});
