import { describe, expect, it } from 'vitest';
import { problemsOf } from '../../support/problems';
import { placedCallUrl } from '../../../lib/flows/placedCall';
import { flowOf } from './actions/support';

const flows = flowOf([{ say: 'Hi' }], ['reminder']);

describe('placedCallUrl', () => {
  it('leads the callee to the step named, through the flow’s own step route', () => {
    expect(placedCallUrl(flows, 'https://app.example.com', { step: 'reminder' })).toBe(
      'https://app.example.com/api/twilio/flow/step?step=reminder&turn=1',
    );
  });

  it('leaves a call with no step to the voice webhook', () => {
    expect(placedCallUrl(flows, 'https://app.example.com', {})).toBeUndefined();
  });

  it('refuses a step the voice flow does not have, listing the ones it has', () => {
    expect(problemsOf(() => placedCallUrl(flows, 'https://x', { step: 'toString' }))).toEqual([
      { field: 'flow.step', message: 'is not a step of the voice flow: "toString" (steps: menu, reminder)' },
    ]);
  });

  it('refuses variables a template could not read, each by name, and variables too large', () => {
    expect(problemsOf(() => placedCallUrl(flows, 'https://x', { variables: { ok: 1, 'bad-name': 2 } }))).toEqual([
      { field: 'flow.variables.bad-name', message: expect.stringMatching(/^must be a variable name/) },
    ]);
    const big = problemsOf(() => placedCallUrl(flows, 'https://x', { variables: { text: 'x'.repeat(100_000) } }));
    expect(big).toEqual([{ field: 'flow.variables', message: expect.any(String) }]);
  });
});
