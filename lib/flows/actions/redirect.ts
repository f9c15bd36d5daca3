/** `redirect`: go to another step, or to an https URL that answers with TwiML of its own. */
import * as z from 'zod';
import { https, stepName } from '../fields';
import { defineAction, lazySchema } from './action';

const schema = lazySchema(() =>
  z
    .union([z.strictObject({ step: stepName }), z.strictObject({ url: https })], {
      error: 'must be { "step" } or { "url" }',
    })
    .meta({ description: 'Go to another step, or to an https URL that answers with TwiML you wrote.' }),
);

export const redirect = defineAction({
  get schema() {
    return schema();
  },
  ends: true,
  steps: (value) => ('step' in value ? [{ path: ['step'], step: value.step }] : []),
  goesTo: (value) => ('step' in value ? value.step : undefined),
  write: (twiml, value) => {
    if ('step' in value) twiml.goTo(value.step);
    else twiml.response.redirect({ method: 'POST' }, value.url);
  },
});
