/** The HTTP side of campaigns: create, add recipients, progress, the recipients page by page, cancel. */
import { pageLimit } from '../records/listing';
import { randomBytes } from 'node:crypto';
import type { HttpHandler, HttpRequest } from '@azure/functions';
import * as z from 'zod';
import { getSettings, type Settings } from '../config/settings';
import { AppError, BadRequestError, NotFoundError, NothingDoneError, UnavailableError } from '../errors';
import { getFlows } from '../flows/load';
import { placedCallUrl } from '../flows/placedCall';
import { own } from '../http/own';
import { handle } from '../http/handle';
import { readJson, zodProblems } from '../http/requests';
import { json } from '../http/responses';
import { createOnce } from '../outbound/handler';
import { once } from '../outbound/idempotency';
import { addRecipients, readCounts } from './counts';
import { progress, reportedState } from './progress';
import { enqueueRecipients, type CampaignMessage } from './run';
import {
  campaignRequest,
  checkVariables,
  MAX_CAMPAIGN_BODY_BYTES,
  recipientsRequest,
  type CampaignRequest,
  type Recipient,
} from './schema';
import { listRecipients, readCampaign, writeCampaign, type Campaign } from './store';

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
 * Queue messages for recipients `first`… : visible from the campaign's start, spread at 80% of
 * its rate, so that a few more arrive than the rate sends and a send never waits for its
 * message (the shared budget, rate.ts, holds the rate; one that arrives early waits for its slot).
 */
async function enqueueFrom(settings: Settings, campaign: Campaign, first: number, count: number) {
  const madeAt = Date.now();
  const messages: CampaignMessage[] = Array.from({ length: count }, (_, n) => ({
    campaign: campaign.id,
    index: first + n,
    attempt: 0,
    madeAt,
  }));
  const perSecond = campaign.call ? campaign.callsPerSecond : campaign.textsPerSecond;
  const startIn = Math.max(0, Date.parse(campaign.startAt) - Date.now());
  await enqueueRecipients(settings, messages, (n) => startIn + ((n / perSecond) * 1000 * 8) / 10);
}

/** A call campaign's step, checked against the flow file, and where Twilio fetches it. */
function callOf(settings: Settings, origin: string, call: CampaignRequest['call']): Campaign['call'] {
  if (!call) return undefined;
  const steps = getFlows(settings).voice?.steps ?? {};
  if (call.step !== undefined && !own(steps, call.step))
    throw new BadRequestError(400, 'Invalid request', [
      {
        field: 'call.step',
        message: `is not a step of the voice flow: ${JSON.stringify(call.step)} (steps: ${Object.keys(steps).join(', ') || 'none'})`,
      },
    ]);
  return { step: call.step, answerUrl: placedCallUrl(getFlows(settings), origin, { step: call.step }) };
}

/**
 * POST /api/campaigns. The recipients are written, then queued, then the header (the commit):
 * until it is written the campaign is not visible and its queued messages wait (run.ts), so a
 * creation that fails on the way (storage or the queue down) leaves nothing a user can see or
 * that sends; it answers 503 and forgets the Idempotency-Key, so the retry creates it whole.
 */
export const createCampaign: HttpHandler = createOnce(
  'campaigns',
  campaignRequest,
  async (settings, origin, body) => {
    const now = new Date().toISOString();
    const campaign: Campaign = {
      id: `CP${randomBytes(16).toString('hex')}`,
      name: body.name,
      body: body.text?.body,
      call: callOf(settings, origin, body.call),
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
    try {
      await addRecipients(settings, campaign.id, 0, body.recipients);
      await enqueueFrom(settings, campaign, 0, body.recipients.length);
      await writeCampaign(settings, campaign);
    } catch (error) {
      throw error instanceof UnavailableError ? new NothingDoneError(error) : error;
    }
    return json(201, progress(campaign, await readCounts(settings, campaign.id)));
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
    const check = z.unknown().superRefine((_, ctx) => {
      if (campaign.body) checkVariables(campaign.body, list, ctx);
    });
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
  return json(200, progress(campaign, await readCounts(settings, campaign.id)));
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
