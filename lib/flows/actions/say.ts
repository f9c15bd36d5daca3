/** `say`: speak a text. */
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import * as z from 'zod';
import { loop, text } from '../fields';
import { defineAction, lazySchema, type ActionTwiml } from './action';

const schema = lazySchema(() =>
  z
    .union(
      [
        text,
        z.strictObject({
          text,
          voice: z.string().min(1).optional(),
          language: z.string().min(2).optional(),
          loop: loop.optional(),
        }),
      ],
      { error: 'must be text, or { "text", "voice", "language", "loop" }' },
    )
    .meta({
      description: 'Speak text: "Hello" or { "text", "voice", "language", "loop" }.',
    }),
);

/** Says `value` inside `parent` (the response, or a gather's prompt). */
export function speak(
  twiml: ActionTwiml,
  parent: { say: VoiceResponse['say'] },
  value: z.output<ReturnType<typeof schema>>,
): void {
  const { text, ...attributes } = typeof value === 'string' ? { text: value } : value;
  parent.say({ ...twiml.sayAttributes, ...(attributes as VoiceResponse.SayAttributes) }, twiml.text(text));
}

export const say = defineAction({
  get schema() {
    return schema();
  },
  ends: false,
  write: (twiml, value) => speak(twiml, twiml.response, value),
});
