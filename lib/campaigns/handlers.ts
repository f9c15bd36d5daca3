/** The HTTP side of campaigns: create, add recipients, progress, the recipients page by page, cancel. */
import { pageLimit } from '../records/listing';
import { randomBytes } from 'node:crypto';
import type { HttpHandler, HttpRequest } from '@azure/functions';
import * as z from 'zod';
import { getSettings, type Settings } from '../config/settings';
import { AppError, BadRequestError, NotFoundError } from '../errors';
import { handle } from '../http/handle';
import { readJson, zodProblems } from '../http/requests';
import { json } from '../http/responses';
import { createOnce } from '../outbound/handler';
import { once } from '../outbound/idempotency';
import { followDelivery, progress, reportedState } from './progress';
import { enqueueRecipients, type CampaignMessage } from './run';
import { campaignRequest, checkVariables, MAX_CAMPAIGN_BODY_BYTES, recipientsRequest, type Recipient } from './schema';
import { addRecipients, listRecipients, readCampaign, writeCampaign, type Campaign } from './store';

const campaignId = z.string().regex(/^CP[0-9a-f]{32}$/, 'must be a campaign id (CP followed by 32 hex digits)');

function idOf(request: HttpRequest): string {
  const id = campaignId.safeParse(request.params.id ?? '');
  if (!id.success)
    throw new BadRequestError(400, 'Invalid campaign id', [{ field: 'id', message: id.error.issues[0]!.message }]);
  return id.data;
}

async function existing(settings: Settings, id: string) {
  const campaign = await readCampaign(settings, id);
  if (!campaign) throw new NotFoundError(`No campaign ${id}`);
  return campaign;
}

/**
 * Queue messages for recipients `first`… : visible from the campaign's start, spread at 90% of
 * its rate so that most arrive as their slot comes (the shared budget, rate.ts, holds the rate).
 */
async function enqueueFrom(settings: Settings, campaign: Campaign, first: number, count: number) {
  const messages: CampaignMessage[] = Array.from({ length: count }, (_, n) => ({
    campaign: campaign.id,
    index: first + n,
    attempt: 0,
  }));
  const startIn = Math.max(0, Date.parse(campaign.startAt) - Date.now());
  await enqueueRecipients(settings, messages, (n) => startIn + ((n / campaign.textsPerSecond) * 1000 * 9) / 10);
}

/** POST /api/campaigns. */
export const createCampaign: HttpHandler = createOnce(
  'campaigns',
  campaignRequest,
  async (settings, origin, body) => {
    const now = new Date().toISOString();
    const campaign: Campaign = {
      id: `CP${randomBytes(16).toString('hex')}`,
      name: body.name,
      body: body.text.body,
      origin,
      from: body.from,
      messagingServiceSid: body.messagingServiceSid,
      textsPerSecond: body.rate.textsPerSecond,
      callsPerSecond: body.rate.callsPerSecond,
      window: body.window,
      startAt: body.startAt ? new Date(body.startAt).toISOString() : now,
      createdAt: now,
      recipients: body.recipients.length,
    };
    // The recipients first, the header last: a campaign is there whole or not at all.
    await addRecipients(settings, campaign.id, 0, body.recipients);
    await writeCampaign(settings, campaign);
    await enqueueFrom(settings, campaign, 0, body.recipients.length);
    return json(201, progress(campaign, []));
  },
  MAX_CAMPAIGN_BODY_BYTES,
);

/** POST /api/campaigns/{id}/recipients: more recipients, numbered after the last. */
export const addCampaignRecipients: HttpHandler = handle(async (request, context) => {
  const settings = getSettings();
  const id = idOf(request);
  const body = await readJson(request, recipientsRequest, MAX_CAMPAIGN_BODY_BYTES);
  return once(settings, context, request, `campaigns|${id}`, body, async () => {
    const { campaign, first } = await reserve(settings, id, body.recipients);
    await addRecipients(settings, id, first, body.recipients);
    await enqueueFrom(settings, campaign, first, body.recipients.length);
    return json(201, { id, added: body.recipients.length, first, recipients: first + body.recipients.length });
  });
});

/** Checks the new recipients against the campaign's text, and numbers them after the last (the header's ETag). */
async function reserve(settings: Settings, id: string, list: Recipient[]) {
  for (let tries = 0; tries < 10; tries++) {
    const { etag, ...campaign } = await existing(settings, id);
    if (campaign.canceledAt) throw new AppError(409, `Campaign ${id} was canceled at ${campaign.canceledAt}`);
    const check = z.unknown().superRefine((_, ctx) => checkVariables(campaign.body, list, ctx));
    const checked = check.safeParse(null);
    if (!checked.success) throw new BadRequestError(400, 'Invalid request', zodProblems(checked.error));
    const first = campaign.recipients;
    if (await writeCampaign(settings, { ...campaign, recipients: first + list.length }, etag))
      return { campaign, first };
  }
  throw new AppError(409, `Campaign ${id} is being changed by another request; try again`);
}

/** GET /api/campaigns/{id}. */
export const getCampaign: HttpHandler = handle(async (request) => {
  const settings = getSettings();
  const campaign = await existing(settings, idOf(request));
  const rows = await listRecipients(settings, campaign.id);
  await followDelivery(settings, campaign.id, rows);
  return json(200, progress(campaign, rows));
});

const pageQuery = z.strictObject({
  limit: pageLimit,
  cursor: z
    .string()
    .regex(/^\d{1,6}$/, 'is not a cursor from nextCursor')
    .transform(Number)
    .optional(),
  code: z.string().optional(),
});

/** GET /api/campaigns/{id}/recipients: in the order they were given, `limit` at a time. */
export const listCampaignRecipients: HttpHandler = handle(async (request) => {
  const settings = getSettings();
  const id = idOf(request);
  const query = pageQuery.safeParse(Object.fromEntries(request.query));
  if (!query.success) throw new BadRequestError(400, 'Invalid query', zodProblems(query.error));
  const campaign = await existing(settings, id);
  const rows = await listRecipients(settings, id, query.data.cursor ?? -1, query.data.limit + 1);
  const page = rows.slice(0, query.data.limit);
  await followDelivery(settings, id, page);
  return json(200, {
    items: page.map((row) => ({ ...row, state: reportedState(campaign, row) })),
    nextCursor: rows.length > query.data.limit ? String(page.at(-1)!.index) : null,
  });
});

/** POST /api/campaigns/{id}/cancel: what has not been sent is not sent. */
export const cancelCampaign: HttpHandler = handle(async (request) => {
  const settings = getSettings();
  const id = idOf(request);
  for (let tries = 0; tries < 10; tries++) {
    const { etag, ...campaign } = await existing(settings, id);
    if (campaign.canceledAt) return json(200, { id, canceledAt: campaign.canceledAt });
    const canceledAt = new Date().toISOString();
    if (await writeCampaign(settings, { ...campaign, canceledAt }, etag)) return json(200, { id, canceledAt });
  }
  throw new AppError(409, `Campaign ${id} is being changed by another request; try again`);
});
