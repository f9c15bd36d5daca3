import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../lib/flows/actions';
import type { ActionModule } from '../../../lib/flows/actions/action';
import { effectLine, runLogic } from '../../../lib/flows/logic';
import { render } from '../../../lib/flows/template';
import { MAX_FLOW_STATE_BYTES } from '../../../lib/records/flowState';
import { logicContext } from './actions/support';

/** A logic action whose run throws, as an http or code action does when the owner's system fails. */
const failing: ActionModule = {
  ...(ACTIONS.set as unknown as ActionModule),
  run: () => {
    throw new Error('owner system down');
  },
};

describe('logic: running one action', () => {
  it('renders a set action’s templates into the call’s variables and goes on', async () => {
    const { logic } = logicContext();
    const value = ACTIONS.set.schema.parse({ caller: '{{ trigger.call.From }}', tries: 0 });
    expect(await runLogic(logic, 'set', ACTIONS.set as unknown as ActionModule, value, 0)).toBeUndefined();
    expect(logic.state.variables).toEqual({ caller: '+15550100199', tries: 0 });
  });

  it('sends a failing action to its failed step, else to the flow’s onError, else on, and logs where it was', async () => {
    const first = logicContext('oops');
    expect(await runLogic(first.logic, 'http', failing, { failed: 'retry' }, 2)).toBe('retry');
    expect(first.lines[0]).toBe('http at menu[2] failed: Error: owner system down');
    expect(await runLogic(first.logic, 'http', failing, {}, 2)).toBe('oops');
    expect(await runLogic(logicContext().logic, 'http', failing, {}, 2)).toBeUndefined();
  });

  it('undoes a change that would make the variables too large, and goes to failed', async () => {
    const { logic, lines } = logicContext('oops');
    logic.state.variables.kept = 'before';
    const big = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`big${n}`, 'x'.repeat(MAX_FLOW_STATE_BYTES / 4 - 100)]));
    const value = ACTIONS.set.schema.parse({ kept: 'after', ...big });
    expect(await runLogic(logic, 'set', ACTIONS.set as unknown as ActionModule, value, 1)).toBe('oops');
    expect(logic.state.variables).toEqual({ kept: 'before' });
    expect(logic.effects).toEqual([
      { kind: 'set', name: 'set at menu[1]', outcome: 'failed', reason: 'variables too large' },
    ]);
    expect(lines[0]).toMatch(/^set at menu\[1\]: the variables would take \d+ bytes, more than 16384$/);
  });

  it('writes an effect as one line for the record', () => {
    expect(effectLine({ kind: 'http', name: 'crm', outcome: 'ok', status: 200, ms: 143, next: 'vip' })).toBe(
      'http crm: ok 200 in 143 ms → vip',
    );
    expect(effectLine({ kind: 'code', name: 'score', outcome: 'failed', reason: 'timeout' })).toBe(
      'code score: failed (timeout)',
    );
    // An action without a name of its own is named by its place, said once: not `switch switch at known[0]`.
    expect(effectLine({ kind: 'switch', name: 'switch at known[0]', outcome: 'no match' })).toBe(
      'switch at known[0]: no match',
    );
  });
});

describe('logic: an undone change is undone for what the call says next', () => {
  it('renders the variables as they were before the change that was too large', async () => {
    const { logic } = logicContext();
    logic.state.variables.kept = 'before';
    const big = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`big${n}`, 'x'.repeat(MAX_FLOW_STATE_BYTES / 4 - 100)]));
    const value = ACTIONS.set.schema.parse({ kept: 'after', ...big });
    await runLogic(logic, 'set', ACTIONS.set as unknown as ActionModule, value, 1);
    expect(render('{{ flow.variables.kept }}', logic.scope)).toBe('before');
    expect(render('{{ flow.variables.big1 | size }}', logic.scope)).toBe('0');
  });
});
