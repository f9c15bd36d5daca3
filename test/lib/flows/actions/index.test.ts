import { describe, expect, it } from 'vitest';
import { ACTION_KINDS, ACTIONS, endsTwiml, kindsOf } from '../../../../lib/flows/actions';
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
    expect(actions.map((option) => option.required)).toEqual(kindsOf('voice').map((kind) => [kind]));
    expect(kindsOf('voice')).toEqual(ACTION_KINDS.filter((kind) => kind !== 'ask'));
  });

  it('offers text conversations (messaging.steps) the logic actions, sms and ask', () => {
    const schema = flowJsonSchema() as {
      properties: {
        messaging: {
          properties: {
            steps: {
              additionalProperties: { properties: { actions: { items: { anyOf: Array<{ required: string[] }> } } } };
            };
          };
        };
      };
    };
    const actions = schema.properties.messaging.properties.steps.additionalProperties.properties.actions.items.anyOf;
    expect(actions.map((option) => option.required[0])).toEqual(['sms', 'set', 'switch', 'http', 'code', 'ask']);
  });

  it('says which actions wait for the caller or leave the step', () => {
    expect(ACTION_KINDS.filter((kind) => ACTIONS[kind].ends)).toEqual([
      'gather',
      'dial',
      'record',
      'redirect',
      'hangup',
      'reject',
      'ask',
    ]);
    expect(endsTwiml({ say: 'Hi' })).toBe(false);
    expect(endsTwiml({ hangup: true })).toBe(true);
  });

  it("gives each action with a callback its own route, beside a step's, a recording's and a whisper's", () => {
    expect(FLOW_KINDS).toEqual(['step', 'gather', 'dial', 'record', 'recording', 'whisper']);
  });
});
