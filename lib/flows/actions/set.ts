/**
 * `set` (Studio's Set Variables): give the flow's variables values that last the call (or the
 * conversation). A value is a template (`"{{ trigger.call.Digits }}"`) or a JSON value; a
 * variable marked secret is never shown on the record or in the transcript.
 */
import * as z from 'zod';
import { templateText, variableName } from '../fields';
import { defineAction, lazySchema } from './action';

const value = lazySchema(() =>
  z.union([templateText, z.number(), z.boolean(), z.null()], {
    error: 'must be a template, a number, true, false or null',
  }),
);

const schema = lazySchema(() =>
  z
    .union(
      [
        z.record(variableName, value()),
        z.strictObject({
          variables: z.record(variableName, value()),
          secret: z.array(variableName).default([]).meta({ description: 'Variables never shown on the record.' }),
        }),
      ],
      { error: 'must be { "<name>": value, … }, or { "variables": { … }, "secret": [names] }' },
    )
    .meta({ description: 'Set variables that last the call: { "name": "{{ trigger.call.From }}", "tries": 0 }.' }),
);

type Values = Record<string, string | number | boolean | null>;

/** The variables and the secret names, whichever form the action was written in. */
function assignments(value: Values | { variables: Values; secret: string[] }): { variables: Values; secret: string[] } {
  const variables = (value as { variables?: unknown }).variables;
  return typeof variables === 'object' && variables !== null && !Array.isArray(variables)
    ? (value as { variables: Values; secret: string[] })
    : { variables: value as Values, secret: [] };
}

export const set = defineAction({
  get schema() {
    return schema();
  },
  ends: false,
  channels: ['voice', 'messaging'],
  write: () => undefined,
  run: (run, value) => {
    const { variables, secret } = assignments(value);
    for (const [name, given] of Object.entries(variables)) {
      run.state.variables[name] = typeof given === 'string' ? run.render(given) : given;
    }
    for (const name of secret) if (!run.state.secret.includes(name)) run.state.secret.push(name);
    return undefined;
  },
});
