import { describe, expect, it } from 'vitest';
import { code } from '../../../../lib/flows/actions/code';
import { logicContext, refusal } from './support';
import { runLogic } from '../../../../lib/flows/logic';
import type { ActionModule } from '../../../../lib/flows/actions/action';

/** Runs hooks/orderStatus.ts (the example hook) on a text with this body. */
async function orderStatus(body: string, input: object = {}, onError?: string) {
  const { logic, lines } = logicContext(onError, { From: '+15550100199', Body: body });
  const module = code as unknown as ActionModule;
  const next = await runLogic(logic, 'code', module, code.schema.parse({ hook: 'orderStatus', ...input }), 0);
  return { next, logic, lines };
}

describe('code: running a hook', () => {
  it('with its default deadline (longer than the turn’s budget), sets the variables the hook returns and goes to its step', async () => {
    const ran = await orderStatus('ORDER 1234');
    expect(ran.next).toBe('known');
    expect(ran.logic.state.variables).toEqual({
      orderNumber: '1234',
      orderStatus: 'shipped on Monday and arrives Thursday',
    });
    expect(ran.logic.effects).toEqual([
      { kind: 'code', name: 'orderStatus', outcome: 'ok', ms: expect.any(Number), next: 'known' },
    ]);
  });

  it('sends a hook that throws to failed, else to onError, and logs it; the caller hears no error', async () => {
    const failed = await orderStatus('ORDER 9001', { failed: 'sorry' }, 'oops');
    expect(failed.next).toBe('sorry');
    expect(failed.logic.effects[0]).toMatchObject({ outcome: 'failed', reason: 'Error', next: 'sorry' });
    expect(failed.lines[0]).toContain('Hook orderStatus failed');
    expect((await orderStatus('ORDER 9001', {}, 'oops')).next).toBe('oops');
  });

  it('takes deadlines from 100 ms up to the flow action maximum, and only hook names', () => {
    expect(code.schema.parse({ hook: 'orderStatus' }).timeoutMs).toBeGreaterThanOrEqual(100);
    expect(refusal([{ code: { hook: 'orderStatus', timeoutMs: 99 } }])).toBeDefined();
    expect(refusal([{ code: { hook: '../lib/errors' } }])).toBeDefined();
  });
});

describe('code: a hook that throws at once', () => {
  it('leaves nothing behind to fail later, once its deadline passes', async () => {
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    try {
      expect((await orderStatus('ORDER 9001', { timeoutMs: 100, failed: 'sorry' })).next).toBe('sorry');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', note);
    }
  });
});
