import { describe, expect, it } from 'vitest';
import { getSettings } from '../../../lib/config/settings';
import {
  emptyFlowState,
  FlowStateTooLargeError,
  MAX_FLOW_STATE_BYTES,
  readFlowState,
  shownVariables,
  writeFlowState,
} from '../../../lib/records/flowState';
import { useSettings } from '../../support/settings';

const sid = () => `CA${crypto.randomUUID().replaceAll('-', '')}`;
const signal = () => AbortSignal.timeout(5_000);

describe('a flow state (Azurite)', () => {
  useSettings({});

  it('is empty for a call without one, then keeps what the first turn wrote', async () => {
    const call = sid();
    const first = await readFlowState(getSettings(), 'call', call, signal());
    expect(first).toEqual({ state: emptyFlowState(), etag: undefined });
    const state = { variables: { name: 'Ada', tries: 1 }, widgets: { crm: { status: 200 } }, secret: [] };
    expect(await writeFlowState(getSettings(), 'call', call, state, first.etag, signal())).toBe(true);
    const second = await readFlowState(getSettings(), 'call', call, signal());
    expect(second.state).toEqual(state);
    expect(second.etag).toBeDefined();
  });

  it('refuses a write that lost the race: a replayed turn does not overwrite the next one', async () => {
    const call = sid();
    expect(await writeFlowState(getSettings(), 'call', call, emptyFlowState(), undefined, signal())).toBe(true);
    const read = await readFlowState(getSettings(), 'call', call, signal());
    const next = { ...read.state, variables: { step: 'two' } };
    expect(await writeFlowState(getSettings(), 'call', call, next, read.etag, signal())).toBe(true);
    const replayed = { ...read.state, variables: { step: 'replayed' } };
    expect(await writeFlowState(getSettings(), 'call', call, replayed, read.etag, signal())).toBe(false);
    expect(await writeFlowState(getSettings(), 'call', call, replayed, undefined, signal())).toBe(false);
    expect((await readFlowState(getSettings(), 'call', call, signal())).state.variables).toEqual({ step: 'two' });
  });

  it('refuses more than 16 KiB before it reaches storage', async () => {
    const state = { ...emptyFlowState(), variables: { big: 'x'.repeat(MAX_FLOW_STATE_BYTES) } };
    await expect(writeFlowState(getSettings(), 'call', sid(), state, undefined, signal())).rejects.toBeInstanceOf(
      FlowStateTooLargeError,
    );
  });

  it('shows secret variables masked', () => {
    expect(shownVariables({ variables: { pin: '1234', name: 'Ada' }, widgets: {}, secret: ['pin'] })).toEqual({
      pin: '•••',
      name: 'Ada',
    });
  });
});
