import { describe, expect, it } from 'vitest';
import { ACTION_KINDS, ACTIONS, endsTwiml } from '../../../../lib/flows/actions';
import { flowJsonSchema } from '../../../../lib/flows/schema';
import { FLOW_KINDS } from '../../../../lib/flows/voice';

describe('the registry of voice actions', () => {
  it('is what the flow schema offers, in its order', () => {
    const json = JSON.stringify(flowJsonSchema());
    const actions = (
      JSON.parse(json) as {
        properties: {
          voice: {
            properties: {
              steps: {
                additionalProperties: { properties: { actions: { items: { anyOf: Array<{ required: string[] }> } } } };
              };
            };
          };
        };
      }
    ).properties.voice.properties.steps.additionalProperties.properties.actions.items.anyOf;
    expect(actions.map((option) => option.required)).toEqual(ACTION_KINDS.map((kind) => [kind]));
  });

  it('says which actions wait for the caller or leave the step', () => {
    expect(ACTION_KINDS.filter((kind) => ACTIONS[kind].ends)).toEqual([
      'gather',
      'dial',
      'record',
      'redirect',
      'hangup',
      'reject',
    ]);
    expect(endsTwiml({ say: 'Hi' })).toBe(false);
    expect(endsTwiml({ hangup: true })).toBe(true);
  });

  it("gives each action with a callback its own route, beside a step's, a recording's and a whisper's", () => {
    expect(FLOW_KINDS).toEqual(['step', 'gather', 'dial', 'record', 'recording', 'whisper']);
  });
});
