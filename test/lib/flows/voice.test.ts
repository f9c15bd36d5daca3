import { describe, expect, it } from 'vitest';
import { flowProblems } from '../../../lib/flows/check';
import { answerCall, answerCallback, isBlocked, stepGone } from '../../../lib/flows/voice';
import { emptyFlowState } from '../../../lib/records/flowState';
import { flowFileSchema, type FlowFile } from '../../../lib/flows/schema';
import { call, settings } from './actions/support';

const HOURS = { timeZone: 'UTC', weekly: { mon: ['09:00-17:00'] } };
const OPEN = new Date('2026-11-30T10:00:00Z'); // a Monday, 10:00 UTC
const CLOSED = new Date('2026-11-29T10:00:00Z'); // a Sunday

const says = (step: string) => ({ actions: [{ say: step }] });
const flows = (voice: object, rest: object = {}): FlowFile =>
  flowFileSchema.parse({ voice: { steps: { entry: says('entry') }, entry: 'entry', ...voice }, ...rest });
const blocked = { blocklist: { numbers: ['+15550100199'], prefixes: ['+1900'] } };
const log = () => {
  const lines: string[] = [];
  return { lines, context: { warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) } };
};

describe('voice: where a new call starts', () => {
  it('blocks whole numbers and prefixes, nobody when there is no blocklist or no caller', () => {
    const file = flows({}, blocked);
    expect(isBlocked(file, '+15550100199')).toBe(true);
    expect(isBlocked(file, '+19005550000')).toBe(true);
    expect(isBlocked(file, '+15550100198')).toBe(false);
    expect(isBlocked(file, undefined)).toBe(false);
    expect(isBlocked(flows({}), '+15550100199')).toBe(false);
  });

  it('rejects a blocked caller by default, with a busy tone, or sends them to a step', async () => {
    expect((await answerCall(flows({}, blocked), call, settings)).twiml).toContain('<Reject reason="rejected"/>');
    const busy = await answerCall(flows({ blocked: 'busy' }, blocked), call, settings);
    expect(busy.twiml).toContain('<Reject reason="busy"/>');
    expect(busy.facts).toMatchObject({ outcome: 'blocked: busy' });
    const step = await answerCall(
      flows({ blocked: { step: 'away' }, steps: { entry: says('entry'), away: says('go away') } }, blocked),
      call,
      settings,
    );
    expect(step.twiml).toContain('<Say>go away</Say>');
    expect(step.facts).toMatchObject({ step: 'away', outcome: 'blocked' });
  });

  it('starts a call the app placed at the entry step: the blocklist and hours are for callers', async () => {
    const file = flows(
      { closed: 'shut', steps: { entry: says('entry'), shut: says('closed') } },
      { ...blocked, hours: HOURS },
    );
    const answer = await answerCall(file, { ...call, Direction: 'outbound-api' }, settings, CLOSED);
    expect(answer.twiml).toContain('<Say>entry</Say>');
    expect(answer.facts).toMatchObject({ step: 'entry', turn: 0 });
  });

  it('sends a caller to the closed step outside business hours, to the entry inside them', async () => {
    const file = flows({ closed: 'shut', steps: { entry: says('entry'), shut: says('closed') } }, { hours: HOURS });
    const closed = await answerCall(file, call, settings, CLOSED);
    expect(closed.twiml).toContain('<Say>closed</Say>');
    expect(closed.facts).toMatchObject({ step: 'shut', outcome: 'closed' });
    expect((await answerCall(file, call, settings, OPEN)).twiml).toContain('<Say>entry</Say>');
  });

  it('answers from onError when the call’s variables cannot be read, else goes on as usual', async () => {
    const file = flows({ onError: 'oops', steps: { entry: says('entry'), oops: says('sorry') } });
    const answer = await answerCall(file, call, settings, OPEN, { unavailable: true });
    expect(answer.twiml).toContain('<Say>sorry</Say>');
    expect(answer.facts).toMatchObject({ step: 'oops', outcome: 'variables unavailable' });
    expect((await answerCall(flows({}), call, settings, OPEN, { unavailable: true })).twiml).toContain(
      '<Say>entry</Say>',
    );
  });
});

describe('voice: a step as TwiML', () => {
  it('stops at the first action that ends the document', async () => {
    const file = flows({ steps: { entry: { actions: [{ say: 'one' }, { hangup: true }, { say: 'never' }] } } });
    const { twiml } = await answerCall(file, call, settings);
    expect(twiml).toContain('<Say>one</Say><Hangup/>');
    expect(twiml).not.toContain('never');
  });

  it('lets a logic action move the call to another step before anything is said, with its variables', async () => {
    const file = flows({
      steps: {
        entry: {
          actions: [
            { set: { who: '{{ trigger.call.From }}' } },
            { switch: { value: '{{ flow.variables.who }}', cases: [{ startsWith: '+1555', step: 'local' }] } },
            { say: 'not local' },
          ],
        },
        local: { actions: [{ say: 'Hello {{ flow.variables.who }}' }] },
      },
    });
    const state = emptyFlowState();
    const { twiml } = await answerCall(file, call, settings, OPEN, { state });
    expect(twiml).toContain('<Say>Hello +15550100199</Say>');
    expect(twiml).not.toContain('not local');
    expect(state.variables).toEqual({ who: '+15550100199' });
  });

  it("renders a switch case's texts as templates, as Studio does; matches stays a literal pattern", async () => {
    const file = flows({
      steps: {
        entry: {
          actions: [
            { set: { pin: '4321', empty: '' } },
            {
              switch: {
                value: '{{ trigger.call.Digits }}',
                cases: [
                  { contains: '{{ flow.variables.empty }}', step: 'wrong' },
                  { startsWith: '{{ flow.variables.empty }}', step: 'wrong' },
                  { matches: '^{{ flow.variables.pin }}$', step: 'wrong' },
                  { anyOf: ['0000', '{{ flow.variables.pin }}'], step: 'right' },
                ],
                otherwise: 'wrong',
              },
            },
          ],
        },
        right: says('right'),
        wrong: says('wrong'),
      },
    });
    const right = await answerCall(file, { ...call, Digits: '4321' }, settings, OPEN, { state: emptyFlowState() });
    expect(right.twiml).toContain('<Say>right</Say>');
    const wrong = await answerCall(file, { ...call, Digits: '1234' }, settings, OPEN, { state: emptyFlowState() });
    expect(wrong.twiml).toContain('<Say>wrong</Say>');
    const equals = flows({
      steps: {
        entry: {
          actions: [
            { set: { pin: '4321' } },
            {
              switch: {
                value: '{{ trigger.call.Digits }}',
                cases: [{ equals: '{{ flow.variables.pin }}', step: 'right' }],
              },
            },
            { say: 'wrong' },
          ],
        },
        right: says('right'),
      },
    });
    const state = emptyFlowState();
    expect((await answerCall(equals, { ...call, Digits: '4321' }, settings, OPEN, { state })).twiml).toContain(
      '<Say>right</Say>',
    );
  });

  it('refuses at start a switch case whose startsWith is not a valid template', () => {
    const bad = { switch: { value: 'x', cases: [{ startsWith: '{{ flow.variables.x', step: 'entry' }] } };
    const problems = flowProblems(
      flowFileSchema.parse({ voice: { entry: 'entry', steps: { entry: { actions: [bad] } } } }),
    );
    expect(problems.map((problem) => problem.path)).toContain(
      'voice.steps.entry.actions[0].switch.cases[0].startsWith',
    );
  });

  it('ends a call whose logic actions go round without waiting, after 100 of them, and says why in the log', async () => {
    const file = flows({
      steps: { entry: { actions: [{ switch: { value: 'x', cases: [{ equals: 'x', step: 'entry' }] } }] } },
    });
    const { lines, context } = log();
    const { twiml } = await answerCall(file, call, settings, OPEN, { context });
    expect(twiml).toContain('<Say>Sorry, something went wrong. Goodbye.</Say><Hangup/>');
    expect(lines).toEqual([expect.stringContaining('ran 100 logic actions at entry')]);
  });
});

describe('voice: callbacks', () => {
  const file = flows({ steps: { entry: says('entry'), next: { actions: [{ say: 'next' }, { hangup: true }] } } });

  it('answers a step callback with that step, one turn on', async () => {
    const answer = await answerCallback('step', { step: 'next', turn: 2 }, file, call, settings);
    expect(answer?.twiml).toContain('<Say>next</Say><Hangup/>');
    expect(answer?.facts).toMatchObject({ step: 'next', turn: 2 });
  });

  it('answers undefined for a place the flow no longer has, and stepGone apologizes and starts over', async () => {
    expect(await answerCallback('step', { step: 'removed' }, file, call, settings)).toBeUndefined();
    expect(await answerCallback('step', { step: 'constructor' }, file, call, settings)).toBeUndefined();
    expect(await answerCallback('gather', { step: 'next', at: 0 }, file, call, settings)).toBeUndefined();
    const gone = stepGone(file, { step: 'removed', at: 3, turn: 4 }, settings, call);
    expect(gone.twiml).toContain('<Say>Sorry, that option is no longer available.</Say>');
    expect(gone.twiml).toMatch(/<Redirect method="POST">[^<]*step=entry[^<]*turn=5/);
    expect(gone.facts.outcome).toBe('unknown place removed[3], back to entry');
  });
});
