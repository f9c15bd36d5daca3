/**
 * The pieces of the flow file's schema that actions and rules share: URLs, numbers, step
 * names, texts, durations. Each carries the message a flow's author reads when it is wrong.
 */
import * as z from 'zod';
// Every check without a message of its own says what was expected (not zod's "Invalid input").
import '../config/zodMessages';

export const https = z.url({ protocol: /^https$/, error: 'must be an https URL' });
export const e164 = z.e164({ error: 'must be a phone number in E.164, like +15550100000' });
export const stepName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be a step name: a letter, then letters, digits, - or _ (64 at most)')
  .meta({ description: 'The name of a step in voice.steps.' });
export const text = z.string().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters').meta({
  description:
    'Text, a Liquid template: {{ trigger.call.From }}, {{ trigger.message.Body }}, {{ flow.variables.name }}, {{ widgets.<name>.parsed… }}, {{ settings.VOICE_GREETING }}.',
});
/** A template that may render empty (a `set` value, a `switch` value). */
export const templateText = z.string().max(4000, 'must be at most 4000 characters');
export const variableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    'must be a variable name: a letter or _, then letters, digits or _ (64 at most)',
  );
export const actionName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be a name: a letter, then letters, digits, - or _ (64 at most)');
export const seconds = (max: number) =>
  z.int('must be whole seconds').min(1, 'must be at least 1 second').max(max, `must be at most ${max} seconds`);
export const loop = z
  .int('must be a whole number')
  .min(0, 'must be 0 or more')
  .max(1000, 'must be at most 1000')
  .meta({ description: 'How many times; 0 repeats until the caller hangs up.' });
export const keys = z.string().regex(/^[0-9*#]+$/, 'must be keys: digits, * or #');
