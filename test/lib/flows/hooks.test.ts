import { describe, expect, it } from 'vitest';
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
