import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { OPTED_OUT_CODE, OptedOutError, refuseIfOptedOut } from '../../../lib/outbound/optOut';
import { optOutsOf, saveOptOut } from '../../../lib/records/optOuts';
import { baseSettings, TEST_PHONE_NUMBER } from '../../support/settings';

const settings = loadSettings(baseSettings);
const uniqueNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

describe('refuseIfOptedOut (Azurite)', () => {
  it('lets a text through to a number that never opted out', async () => {
    await expect(refuseIfOptedOut(settings, uniqueNumber(), TEST_PHONE_NUMBER, 'a text')).resolves.toBeUndefined();
  });

  it('refuses with 409 recipient-opted-out, saying how to opt back in, and notes the refusal on the list', async () => {
    const number = uniqueNumber();
    const messageSid = `SM${randomBytes(16).toString('hex')}`;
    await saveOptOut(settings, { number, line: TEST_PHONE_NUMBER, status: 'opted-out', keyword: 'STOP', messageSid });
    const refused = await refuseIfOptedOut(settings, number, TEST_PHONE_NUMBER, 'voicemail alert').catch((e) => e);
    expect(refused).toBeInstanceOf(OptedOutError);
    expect(refused).toMatchObject({
      status: 409,
      publicMessage: `${number} opted out of texts from this line (STOP); they can text START to opt back in`,
      options: { extra: { code: OPTED_OUT_CODE, to: number, keyword: 'STOP' }, log: 'warn' },
    });
    expect((await optOutsOf(settings, number, TEST_PHONE_NUMBER))[0]).toMatchObject({ lastRefused: 'voicemail alert' });
  });
});
