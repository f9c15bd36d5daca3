import { templateScope } from '../../../../lib/flows/scope';
import { describe, expect, it } from 'vitest';
import { dial, dialOutcome, nextLeg, ringing, whisperTwiml, type Dial } from '../../../../lib/flows/actions/dial';
import { answerCallback } from '../../../../lib/flows/voice';
import { call, flowOf, settings, XML } from './support';

const value = (input: object): Dial => dial.schema.parse(input);
const three = ['+15550100001', '+15550100002', 'client:alice'];

describe('dial: outcomes and legs', () => {
  it("maps Twilio's DialCallStatus to the flow's four outcomes", async () => {
    expect(dialOutcome('completed')).toBe('answered');
    expect(dialOutcome('answered')).toBe('answered');
    expect(dialOutcome('busy')).toBe('busy');
    expect(dialOutcome('no-answer')).toBe('noAnswer');
    expect(dialOutcome('failed')).toBe('failed');
    expect(dialOutcome('canceled')).toBe('failed');
    expect(dialOutcome(undefined)).toBe('failed');
  });

  it('rings everyone at once, or one leg at a time in order', async () => {
    expect(ringing(value({ to: three }), 0)).toEqual(three);
    expect(ringing(value({ to: three, mode: 'sequential' }), 1)).toEqual(['+15550100002']);
  });

  it('goes on to the next leg only when a sequential leg was not answered and another is left', async () => {
    const sequential = value({ to: three, mode: 'sequential' });
    expect(nextLeg(sequential, 0, 'noAnswer')).toBe(1);
    expect(nextLeg(sequential, 1, 'busy')).toBe(2);
    expect(nextLeg(sequential, 2, 'failed')).toBeUndefined();
    expect(nextLeg(sequential, 0, 'answered')).toBeUndefined();
    expect(nextLeg(value({ to: three }), 0, 'noAnswer')).toBeUndefined();
    expect(nextLeg(value({ to: '+15550100001', mode: 'sequential' }), 0, 'busy')).toBeUndefined();
  });

  it('names the step of each outcome', async () => {
    expect(dial.steps!(value({ to: three, busy: 'b', failed: 'f' }))).toEqual([
      { path: ['busy'], step: 'b' },
      { path: ['failed'], step: 'f' },
    ]);
  });

  it('whispers the filled text to the person who answers, and nothing when there is none', async () => {
    expect(
      whisperTwiml(
        value({ to: three, whisper: 'Call from {{ trigger.call.From }}' }),
        templateScope('call', { From: '+1555<' }, settings),
      ),
    ).toBe(`${XML}<Response><Say>Call from +1555&lt;</Say></Response>`);
    expect(whisperTwiml(undefined, templateScope('call', {}, settings))).toBe(`${XML}<Response/>`);
  });
});

describe('dial: its callback', () => {
  const flows = flowOf(
    [{ dial: { to: three, mode: 'sequential', timeout: 15, busy: 'voicemail' } }, { say: 'after' }],
    ['voicemail'],
  );
  const answer = async (leg: number, status: string) =>
    (await answerCallback(
      'dial',
      { step: 'menu', at: 0, turn: 4, leg },
      flows,
      { ...call, DialCallStatus: status },
      settings,
    ))!;

  it('rings the next leg after one that did not answer, in the same turn of facts', async () => {
    expect(await answer(0, 'no-answer')).toEqual({
      twiml: `${XML}<Response><Dial action="/api/twilio/flow/dial?step=menu&amp;at=0&amp;leg=1&amp;turn=5" method="POST" timeout="15"><Number>+15550100002</Number></Dial></Response>`,
      facts: { dialed: '+15550100001', outcome: 'no-answer', turn: 4 },
    });
    expect((await answer(1, 'busy')).twiml).toContain('<Client>alice</Client>');
  });

  it("the last leg's outcome goes to its step, or runs the next actions", async () => {
    expect(await answer(2, 'busy')).toEqual({
      twiml: `${XML}<Response><Say>voicemail</Say></Response>`,
      facts: { dialed: 'client:alice', outcome: 'busy', turn: 4, step: 'voicemail' },
    });
    expect((await answer(2, 'no-answer')).twiml).toBe(`${XML}<Response><Say>after</Say></Response>`);
    expect((await answer(0, 'completed')).facts).toEqual({ dialed: '+15550100001', outcome: 'completed', turn: 4 });
  });
});
