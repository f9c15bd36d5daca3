import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasOptedOut } from '../../../lib/campaigns/optOuts';
import { loadSettings } from '../../../lib/config/settings';
import { saveOptOut } from '../../../lib/records/optOuts';
import { baseSettings } from '../../support/settings';

const uniqueNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

describe('hasOptedOut (Azurite)', () => {
  it('reads the app’s opt-out list, for the whole line or the sender alone as OPT_OUT_SCOPE says', async () => {
    const line = loadSettings(baseSettings);
    const sender = loadSettings({ ...baseSettings, OPT_OUT_SCOPE: 'sender' });
    const to = uniqueNumber();
    expect(await hasOptedOut(line, '+15005550006', to)).toBe(false);
    const messageSid = `SM${randomBytes(16).toString('hex')}`;
    await saveOptOut(line, { number: to, line: '+15005550007', status: 'opted-out', keyword: 'STOP', messageSid });
    expect(await hasOptedOut(line, '+15005550006', to)).toBe(true);
    expect(await hasOptedOut(sender, '+15005550006', to)).toBe(false);
    expect(await hasOptedOut(sender, '+15005550007', to)).toBe(true);
  });
});
