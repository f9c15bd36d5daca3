import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { listOptOuts, noteRefusal, optOutQuery, optOutsOf, saveOptOut } from '../../../lib/records/optOuts';
import { baseSettings } from '../../support/settings';

const settings = loadSettings(baseSettings);
const senderScope = loadSettings({ ...baseSettings, OPT_OUT_SCOPE: 'sender' });
const LINE = '+15005550006';
const OTHER_LINE = '+15005550007';
const uniqueNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const sid = () => `SM${randomBytes(16).toString('hex')}`;
const stop = (number: string, line = LINE, messageSid = sid()) =>
  saveOptOut(settings, { number, line, status: 'opted-out', keyword: 'STOP', messageSid });
const start = (number: string, line = LINE, messageSid = sid()) =>
  saveOptOut(settings, { number, line, status: 'opted-in', keyword: 'START', messageSid });

describe('the opt-out list (Azurite)', () => {
  it('stops texts to a number after STOP, and lets them through again after START', async () => {
    const number = uniqueNumber();
    expect(await optOutsOf(settings, number, LINE)).toEqual([]);
    await stop(number);
    expect(await optOutsOf(settings, number, LINE)).toEqual([
      expect.objectContaining({ number, line: LINE, status: 'opted-out', keyword: 'STOP' }),
    ]);
    await start(number);
    expect(await optOutsOf(settings, number, LINE)).toEqual([]);
  });

  it('changes nothing when the same STOP is delivered again', async () => {
    const number = uniqueNumber();
    const message = sid();
    await stop(number, LINE, message);
    const [first] = await optOutsOf(settings, number, LINE);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await stop(number, LINE, message);
    expect(await optOutsOf(settings, number, LINE)).toEqual([first]);
  });

  it('does not undo a later START when an earlier STOP is delivered again', async () => {
    const number = uniqueNumber();
    const stopSid = sid();
    await stop(number, LINE, stopSid);
    await start(number);
    // Twilio redelivers the STOP (its first delivery timed out at our end): the START still stands.
    await stop(number, LINE, stopSid);
    expect(await optOutsOf(settings, number, LINE)).toEqual([]);
  });

  it('covers every line of ours by default, and only the line texted with OPT_OUT_SCOPE=sender', async () => {
    const number = uniqueNumber();
    await stop(number, OTHER_LINE);
    expect(await optOutsOf(settings, number, LINE)).toHaveLength(1);
    expect(await optOutsOf(senderScope, number, LINE)).toEqual([]);
    expect(await optOutsOf(senderScope, number, OTHER_LINE)).toHaveLength(1);
  });

  it('notes on the entry the last text it refused', async () => {
    const number = uniqueNumber();
    await stop(number);
    await noteRefusal(settings, await optOutsOf(settings, number, LINE), 'voicemail alert');
    expect((await optOutsOf(settings, number, LINE))[0]).toMatchObject({ lastRefused: 'voicemail alert' });
  });

  it('lists one number’s entries by status, a page at a time', async () => {
    const number = uniqueNumber();
    await stop(number, LINE);
    await stop(number, OTHER_LINE);
    const first = await listOptOuts(settings, optOutQuery.parse({ number, limit: '1' }));
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();
    const second = await listOptOuts(settings, optOutQuery.parse({ number, limit: '1', cursor: first.nextCursor }));
    expect(second.items.map((entry) => entry.line)).not.toEqual(first.items.map((entry) => entry.line));
    expect(second.nextCursor).toBeNull();
    expect((await listOptOuts(settings, optOutQuery.parse({ number, status: 'opted-in' }))).items).toEqual([]);
  });

  it('refuses a status and a cursor it does not know, naming the field', () => {
    const fields = (query: object) => optOutQuery.safeParse(query).error?.issues.map((issue) => issue.path.join('.'));
    expect(fields({ status: 'maybe' })).toEqual(['status']);
    expect(fields({ cursor: 'bm9wZQ' })).toEqual(['cursor']);
  });
});
