import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { addRecipients, moveRecipient } from '../../../lib/campaigns/counts';
import {
  listRecipients,
  readCampaign,
  readRecipient,
  writeCampaign,
  type Campaign,
} from '../../../lib/campaigns/store';
import { baseSettings } from '../../support/settings';

const settings = loadSettings(baseSettings);
const newCampaign = (): Campaign => ({
  id: `CP${randomBytes(16).toString('hex')}`,
  name: 'Spring sale',
  body: 'Hi {{ variables.name }}',
  origin: 'https://app.example.com',
  from: '+15005550006',
  textsPerSecond: 1,
  callsPerSecond: 1,
  window: { timeZone: 'UTC', weekly: { mon: ['09:00-17:00'] }, closures: [] },
  startAt: '2026-03-02T09:00:00.000Z',
  createdAt: '2026-03-01T09:00:00.000Z',
  recipients: 0,
});
const people = (count: number) =>
  Array.from({ length: count }, (_, n) => ({ to: `+1555${String(n).padStart(7, '0')}`, variables: { name: `P${n}` } }));

describe('the campaigns table (Azurite)', () => {
  it('keeps a campaign as written, its window included, and nothing for one never written', async () => {
    const campaign = newCampaign();
    expect(await readCampaign(settings, campaign.id)).toBeUndefined();
    expect(await writeCampaign(settings, campaign)).toBe(true);
    const { etag, ...read } = (await readCampaign(settings, campaign.id))!;
    expect(read).toEqual(campaign);
    expect(etag).toBeTruthy();
  });

  it('refuses an update made from a copy that changed since (its ETag)', async () => {
    const campaign = newCampaign();
    await writeCampaign(settings, campaign);
    const { etag } = (await readCampaign(settings, campaign.id))!;
    expect(await writeCampaign(settings, { ...campaign, recipients: 5 }, etag)).toBe(true);
    expect(await writeCampaign(settings, { ...campaign, recipients: 9 }, etag)).toBe(false);
    expect((await readCampaign(settings, campaign.id))!.recipients).toBe(5);
  });

  it('keeps recipients in the order given, past one transaction’s 100, and lists them a page at a time', async () => {
    const { id } = newCampaign();
    await addRecipients(settings, id, 0, people(150));
    await addRecipients(settings, id, 150, people(2));
    const all = await listRecipients(settings, id);
    expect(all.map((row) => row.index)).toEqual(Array.from({ length: 152 }, (_, n) => n));
    expect(all[0]).toMatchObject({ to: '+15550000000', variables: { name: 'P0' }, state: 'waiting' });
    expect((await listRecipients(settings, id, 149, 2)).map((row) => row.index)).toEqual([150, 151]);
  });

  it('keeps what became of a recipient', async () => {
    const { id } = newCampaign();
    await addRecipients(settings, id, 0, people(1));
    const row = await readRecipient(settings, id, 0);
    await moveRecipient(settings, id, row, { state: 'sent', sid: `SM${'0'.repeat(32)}` }, ['waiting']);
    expect(await readRecipient(settings, id, 0)).toMatchObject({ state: 'sent', sid: `SM${'0'.repeat(32)}` });
  });
});
