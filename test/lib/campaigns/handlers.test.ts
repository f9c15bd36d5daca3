import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import {
  addCampaignRecipients,
  cancelCampaign,
  createCampaign,
  getCampaign,
  listCampaignRecipients,
} from '../../../lib/campaigns/handlers';
import { invoke, jsonRequest } from '../../support/invoke';
import { useSettings } from '../../support/settings';

/** An Azurite of this file's own: the campaigns' queue here has no worker, so nothing is sent. */
let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
});
beforeEach(() => useSettings({ AzureWebJobsStorage: azurite.connectionString }));
afterAll(async () => {
  useSettings({});
  await azurite?.stop();
});

const API = 'http://127.0.0.1:7071/api/campaigns';
const people = (count: number, first = 0) =>
  Array.from({ length: count }, (_, n) => ({
    to: `+1555010${String(first + n).padStart(4, '0')}`,
    variables: { name: `P${n}` },
  }));
const create = (body: object) => invoke(createCampaign, jsonRequest(API, body));
const get = (handler: Parameters<typeof invoke>[0], id: string, path = '', query = '') =>
  invoke(handler, { method: 'GET', url: `${API}/${id}${path}${query}`, params: { id } });
const post = (handler: Parameters<typeof invoke>[0], id: string, path: string, body: object = {}) =>
  invoke(handler, { ...jsonRequest(`${API}/${id}${path}`, body), params: { id } });
const campaign = { name: 'Spring sale', text: { body: 'Hi {{ variables.name }}' }, recipients: people(3) };

describe('the campaign API (its own Azurite)', () => {
  it('creates a campaign with every recipient waiting, and reports its progress', async () => {
    const created = await create(campaign);
    expect(created.response.status).toBe(201);
    const { id } = created.json() as { id: string };
    expect(id).toMatch(/^CP[0-9a-f]{32}$/);
    const report = await get(getCampaign, id);
    expect(report.json()).toMatchObject({ id, recipients: 3, counts: { waiting: 3 }, done: false });
  });

  it('refuses a bad body with 400 naming each field, and stores nothing', async () => {
    const refused = await create({ ...campaign, recipients: [{ to: 'not a number' }] });
    expect(refused.response.status).toBe(400);
    expect(refused.text).toContain('"field":"recipients.0.to"');
  });

  it('answers 404 for a campaign that does not exist and 400 for an id that is not one', async () => {
    expect((await get(getCampaign, `CP${'0'.repeat(32)}`)).response.status).toBe(404);
    const bad = await get(getCampaign, 'nope');
    expect(bad.response.status).toBe(400);
    expect(bad.text).toContain('"field":"id"');
  });

  it('adds recipients numbered after the last, checked against the text', async () => {
    const { id } = (await create(campaign)).json() as { id: string };
    const added = await post(addCampaignRecipients, id, '/recipients', { recipients: people(2, 3) });
    expect(added.response.status).toBe(201);
    expect(added.json()).toEqual({ id, added: 2, first: 3, recipients: 5 });
    const missing = await post(addCampaignRecipients, id, '/recipients', { recipients: [{ to: '+15550109999' }] });
    expect(missing.response.status).toBe(400);
    expect(missing.text).toContain('recipients.0.variables.name');
  });

  it('lists recipients in the order given, a page at a time', async () => {
    const { id } = (await create(campaign)).json() as { id: string };
    const first = (await get(listCampaignRecipients, id, '/recipients', '?limit=2')).json() as {
      items: Array<{ index: number }>;
      nextCursor: string;
    };
    expect(first.items.map((row) => row.index)).toEqual([0, 1]);
    const rest = (await get(listCampaignRecipients, id, '/recipients', `?limit=2&cursor=${first.nextCursor}`)).json();
    expect(rest).toMatchObject({ items: [{ index: 2 }], nextCursor: null });
    expect((await get(listCampaignRecipients, id, '/recipients', '?cursor=x')).response.status).toBe(400);
  });

  it('cancels once: what was not sent is reported canceled, and no recipient can be added after', async () => {
    const { id } = (await create(campaign)).json() as { id: string };
    const canceled = await post(cancelCampaign, id, '/cancel');
    expect(canceled.response.status).toBe(200);
    const { canceledAt } = canceled.json() as { canceledAt: string };
    expect((await post(cancelCampaign, id, '/cancel')).json()).toEqual({ id, canceledAt });
    expect((await get(getCampaign, id)).json()).toMatchObject({ counts: { canceled: 3, waiting: 0 }, done: true });
    expect((await post(addCampaignRecipients, id, '/recipients', { recipients: people(1) })).response.status).toBe(409);
  });
});
