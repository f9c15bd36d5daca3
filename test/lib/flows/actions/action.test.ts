import { describe, expect, it } from 'vitest';
import { callbackPath } from '../../../../lib/flows/actions/action';

describe('callbackPath', () => {
  it('is our flow route for the kind, relative, with its place in the query', () => {
    expect(callbackPath('gather', { step: 'menu', at: 1, turn: 2 })).toBe(
      '/api/twilio/flow/gather?step=menu&at=1&turn=2',
    );
  });

  it('encodes what it carries, so a value cannot add a parameter', () => {
    expect(callbackPath('step', { step: 'a&turn=9' })).toBe('/api/twilio/flow/step?step=a%26turn%3D9');
  });
});
