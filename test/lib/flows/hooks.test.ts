import { describe, expect, it } from 'vitest';
import { runWithin } from '../../../lib/flows/actions/code';
import { hookNames, loadHook } from '../../../lib/flows/hooks';
import { appRoot } from '../../../lib/flows/load';

describe('hooks', () => {
  it('lists the hooks/ folder by name', () => {
    expect(hookNames(appRoot())).toContain('orderStatus');
  });

  it('loads a hook and runs it', async () => {
    const hook = await loadHook('orderStatus');
    const result = await hook({
      trigger: { Body: 'ORDER 1234' },
      variables: {},
      setting: () => undefined,
      signal: AbortSignal.timeout(1_000),
    });
    expect(result).toEqual({
      set: { orderNumber: '1234', orderStatus: 'shipped on Monday and arrives Thursday' },
      next: 'known',
    });
  });

  it('refuses a name that is not a hook name, before any import', async () => {
    await expect(loadHook('../lib/errors')).rejects.toThrow(/not a hook name/);
  });
});

describe('a hook run with a deadline (the code action)', () => {
  it('leaves nothing behind when the hook settles first: its deadline passing later rejects nothing (it crashed npm start)', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      for (const body of ['ORDER 9001', 'ORDER 1234']) {
        const deadline = new AbortController();
        const run = runWithin(
          'orderStatus',
          100,
          { trigger: { Body: body }, variables: {}, setting: () => undefined },
          deadline.signal,
        );
        if (body === 'ORDER 9001') await expect(run).rejects.toThrow(/archive/);
        else await expect(run).resolves.toMatchObject({ next: 'known' });
        deadline.abort();
      }
      await new Promise((done) => setTimeout(done, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('fails with HookTimeout when the deadline comes first', async () => {
    const deadline = new AbortController();
    deadline.abort();
    await expect(
      runWithin(
        'orderStatus',
        100,
        { trigger: { Body: 'ORDER 1234' }, variables: {}, setting: () => undefined },
        deadline.signal,
      ),
    ).rejects.toThrow(/did not finish within 100 ms/);
  });
});
