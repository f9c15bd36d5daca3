import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { shortenDeadlinesForTests } from '../../../lib/config/deadlines';
import { getSettings, loadSettings } from '../../../lib/config/settings';
import { flowFileSchema, type FlowFile } from '../../../lib/flows/schema';
import { flowKeepsState, openCallSession } from '../../../lib/flows/session';
import { emptyFlowState, readFlowState, writeFlowState } from '../../../lib/records/flowState';
import { baseSettings, useSettings } from '../../support/settings';

const sid = () => `CA${crypto.randomUUID().replaceAll('-', '')}`;
const voice = (actions: object[]): FlowFile =>
  flowFileSchema.parse({ voice: { entry: 'a', steps: { a: { actions } } } });
const log = () => {
  const lines: string[] = [];
  return { lines, context: { warn: (line: string) => lines.push(line) } };
};
const stateful = voice([{ set: { n: 1 } }, { say: 'hi' }]);

describe('session: which flows keep state', () => {
  it('keeps state for logic actions and for templates that read variables or widgets, not otherwise', () => {
    expect(flowKeepsState(stateful)).toBe(true);
    expect(flowKeepsState(voice([{ say: 'Your pin is {{ flow.variables.pin }}' }]))).toBe(true);
    expect(flowKeepsState(voice([{ say: '{% if widgets.crm %}known{% endif %}' }]))).toBe(true);
    expect(flowKeepsState(voice([{ say: 'Hello {{ trigger.call.From }}' }]))).toBe(false);
    expect(flowKeepsState(voice([{ say: 'flow.variables is just words here' }]))).toBe(false);
  });
});

describe('session: a call’s state for one request (Azurite)', () => {
  useSettings({});

  it('touches no storage for a flow without state, nor a request without a CallSid', async () => {
    const call = sid();
    const plain = await openCallSession(getSettings(), voice([{ say: 'hi' }]), call, log().context);
    plain.state.variables.x = 1;
    await plain.save();
    expect((await readFlowState(getSettings(), 'call', call, AbortSignal.timeout(5_000))).etag).toBeUndefined();
    expect(await openCallSession(getSettings(), stateful, undefined, log().context)).toMatchObject({
      unavailable: false,
    });
  });

  it("keeps the first answer of the call's first request, over a placed call's variables, and never a second one", async () => {
    const call = sid();
    await writeFlowState(
      getSettings(),
      'call',
      call,
      { ...emptyFlowState(), variables: { who: 'Ada' } },
      undefined,
      AbortSignal.timeout(5_000),
    );
    const first = await openCallSession(getSettings(), stateful, call, log().context, { entry: true });
    expect(first.state.variables).toEqual({ who: 'Ada' });
    first.state.variables.n = 1;
    await first.save();
    const turn = await openCallSession(getSettings(), stateful, call, log().context);
    expect(turn.state.variables).toEqual({ who: 'Ada', n: 1 });
    turn.state.variables.n = 2;
    await turn.save();
    const { lines, context } = log();
    const again = await openCallSession(getSettings(), stateful, call, context, { entry: true });
    again.state.variables.n = 1;
    await again.save();
    const read = await readFlowState(getSettings(), 'call', call, AbortSignal.timeout(5_000));
    expect(read.state.variables).toEqual({ who: 'Ada', n: 2 });
    expect(lines).toEqual([expect.stringMatching(/its first request came again/)]);
  });

  it('reads the state, saves what the turn changed, and the next request reads it', async () => {
    const call = sid();
    const first = await openCallSession(getSettings(), stateful, call, log().context);
    expect(first.state).toEqual(emptyFlowState());
    first.state.variables.n = 1;
    await first.save();
    const second = await openCallSession(getSettings(), stateful, call, log().context);
    expect(second.state.variables).toEqual({ n: 1 });
  });

  it('keeps the first of two requests that race, and says the other’s changes are not kept', async () => {
    const call = sid();
    const { lines, context } = log();
    const one = await openCallSession(getSettings(), stateful, call, context);
    const two = await openCallSession(getSettings(), stateful, call, context);
    one.state.variables.who = 'one';
    two.state.variables.who = 'two';
    await one.save();
    await two.save();
    expect((await openCallSession(getSettings(), stateful, call, context)).state.variables).toEqual({ who: 'one' });
    expect(lines).toEqual([expect.stringContaining('another request changed its variables first')]);
  });

  it('is unavailable, never an error, when storage cannot be reached, and says so in the log', async () => {
    const restore = shortenDeadlinesForTests({ flowStateMs: 300, storageMs: 300 });
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    await new Promise<void>((done) => server.close(() => done()));
    try {
      const settings = loadSettings({
        ...baseSettings,
        AzureWebJobsStorage: baseSettings.AzureWebJobsStorage.replace(/127\.0\.0\.1:\d+/g, `127.0.0.1:${port}`),
      });
      const { lines, context } = log();
      const session = await openCallSession(settings, stateful, sid(), context);
      expect(session).toMatchObject({ unavailable: true, state: emptyFlowState() });
      await session.save();
      expect(lines).toEqual([expect.stringContaining('its variables could not be read')]);
    } finally {
      restore();
    }
  });
});
