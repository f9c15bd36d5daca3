/**
 * The queue-triggered sender of campaigns: one message per recipient. Before each send it
 * checks the campaign (canceled?), the start time and window (outside: the message comes back
 * when it opens), the opt-out list (texts) and the sender's shared rate (rate.ts); then the
 * text or call goes through the outbound queue's send-once code (sendKeyed: the same code as
 * POST /api/messages and POST /api/calls, keyed `campaign|<id>|<index>`), so a message
 * delivered twice never texts or calls twice. Each change of a recipient's state is counted
 * with it (counts.ts).
 *
 * Twilio's 429 and 5xx (and Twilio unreachable): the slot is given back and the message comes
 * back after a backoff (1, 2, 4 … 60 s); after MAX_ATTEMPTS it goes to the poison queue and
 * the recipient is failed. Twilio's other 4xx: the recipient failed, with Twilio's code. Any
 * other failure (storage down) throws: the host tries again and, after maxDequeueCount, moves
 * the message to the poison queue, where health counts it.
 */
import type { InvocationContext } from '@azure/functions';
import * as z from 'zod';
import { DEADLINES, storageDeadline } from '../config/deadlines';
import { poisonQueue, QUEUES } from '../config/queues';
import { getSettings, type Settings } from '../config/settings';
import { isOpen } from '../flows/hours';
import { nothingHappened } from '../outbound/idempotency';
import { queuedCall, queuedText, type QueuedMessage } from '../outbound/kinds';
import { enqueueTo } from '../outbound/queue';
import { sendKeyed } from '../outbound/sendQueued';
import { campaignClock } from './clock';
import { moveRecipient } from './counts';
import { hasOptedOut } from './optOuts';
import { rememberSend, settle } from './progress';
import { giveBackSlot, takeSlot } from './rate';
import { render } from './schema';
import { readCampaign, readRecipient, type Campaign, type RecipientRow, type RecipientState } from './store';
import { nextOpening } from './window';

export const campaignMessage = z.object({
  campaign: z.string().min(1).max(64),
  index: z.number().int().min(0),
  attempt: z.number().int().min(0).default(0),
  /** When the campaign's creation put it on the queue (ms since the epoch): until it is committed, it waits. */
  madeAt: z.number().optional(),
});
export type CampaignMessage = z.output<typeof campaignMessage>;

/** Tries of a recipient that Twilio answered 429 or 5xx before it is failed and its message poisoned. */
export const MAX_ATTEMPTS = 8;
/** A send slot further off than this is not taken: the message comes back when it is free. */
const MAX_SLOT_WAIT_MS = 10_000;
const CAMPAIGN_CACHE_MS = 1_000;
/**
 * A campaign is created by writing its recipients, queuing them, then its header (the commit).
 * A message of a campaign with no header waits this long for it (the creating request is
 * still at work), then is dropped: that creation failed and was answered 503.
 */
export const COMMIT_WAIT_MS = 10 * 60_000;
const UNCOMMITTED_RECHECK_MS = 1_000;
/** States a recipient is sent from. */
const UNSENT: readonly RecipientState[] = ['waiting', 'waitingForWindow'];

/** Twilio's 429 is about concurrent requests: the first try again comes soon, then 2, 4 … 60 s. */
/**
 * Tries of a send after Twilio's 429 or 5xx made in the same invocation, each with a new slot
 * in line (so the slot the failed try gave back is used at once, here if no other send waits
 * for it, and the sender's time has no hole); after these the message comes back after a backoff.
 */
const TRIES_AT_ONCE = 2;
/** Queue messages sent at once: more only queue up at storage, each within its deadline. */
const ENQUEUED_AT_ONCE = 50;

export const backoffMs = (attempt: number) => Math.min(60, 2 ** attempt) * 1000;

/** Puts a campaign's messages on its queue, each visible after `delayMs`. */
export async function enqueueRecipients(
  settings: Settings,
  messages: CampaignMessage[],
  delayMs: (n: number) => number,
) {
  for (let start = 0; start < messages.length; start += ENQUEUED_AT_ONCE) {
    const chunk = messages.slice(start, start + ENQUEUED_AT_ONCE);
    await Promise.all(
      chunk.map((message, n) =>
        enqueueTo(settings, QUEUES.campaigns, [message], storageDeadline(), Math.ceil(delayMs(start + n) / 1000)),
      ),
    );
  }
}

const requeue = (settings: Settings, message: CampaignMessage, delayMs: number) =>
  enqueueRecipients(settings, [message], () => Math.min(delayMs, campaignClock.maxWaitMs, 7 * 86_400_000 - 60_000));

const cache = new Map<string, { at: number; campaign: Promise<Campaign | undefined> }>();
function cachedCampaign(settings: Settings, id: string): Promise<Campaign | undefined> {
  const hit = cache.get(id);
  if (hit && Date.now() - hit.at < CAMPAIGN_CACHE_MS) return hit.campaign;
  const campaign = readCampaign(settings, id);
  cache.set(id, { at: Date.now(), campaign });
  campaign.catch(() => cache.delete(id));
  return campaign;
}

/** How long until the campaign may reach someone at `now`: its start, then its window; 0 when it may now. */
export function waitMs(campaign: Pick<Campaign, 'startAt' | 'window'>, now: Date): number {
  const start = Date.parse(campaign.startAt) - now.getTime();
  if (start > 0) return start;
  if (!campaign.window || isOpen(campaign.window, now)) return 0;
  const opens = nextOpening(campaign.window, now);
  return opens ? Math.max(1000, opens.getTime() - now.getTime()) : campaignClock.maxWaitMs;
}

/** Who sends a campaign's texts or calls, and at what rate: its own budget per sender and kind. */
export function senderOf(campaign: Campaign, settings: Settings) {
  return campaign.call
    ? {
        kind: 'call' as const,
        sender: campaign.from ?? settings.TWILIO_PHONE_NUMBER,
        perSecond: campaign.callsPerSecond,
      }
    : {
        kind: 'sms' as const,
        sender: campaign.messagingServiceSid ?? campaign.from ?? settings.TWILIO_PHONE_NUMBER,
        perSecond: campaign.textsPerSecond,
      };
}

/** The handler of functions/sendCampaign.ts. */
export async function sendCampaign(body: unknown, context: InvocationContext): Promise<void> {
  const parsed = campaignMessage.safeParse(body);
  if (!parsed.success) {
    context.error(`Dropped a queue message that is not a campaign recipient: ${JSON.stringify(body).slice(0, 300)}`);
    return;
  }
  const message = parsed.data;
  const settings = getSettings();
  const campaign = await cachedCampaign(settings, message.campaign);
  if (!campaign) {
    if (message.madeAt !== undefined && Date.now() - message.madeAt < COMMIT_WAIT_MS)
      return requeue(settings, message, UNCOMMITTED_RECHECK_MS);
    return context.error(`Dropped a message of campaign ${message.campaign}, which does not exist`);
  }
  const row = await readRecipient(settings, campaign.id, message.index);
  if (!UNSENT.includes(row.state)) return;
  const move = (changes: Partial<RecipientRow> & { state: RecipientState }) =>
    moveRecipient(settings, campaign.id, row, changes, UNSENT);
  if (campaign.canceledAt) return void (await move({ state: 'canceled' }));
  const wait = waitMs(campaign, campaignClock.now());
  if (wait > 0) {
    if (campaign.window && Date.parse(campaign.startAt) <= campaignClock.now().getTime())
      await move({ state: 'waitingForWindow' });
    return requeue(settings, message, wait);
  }
  const { kind, sender, perSecond } = senderOf(campaign, settings);
  if (kind === 'sms' && (await hasOptedOut(settings, sender, row.to))) return void (await move({ state: 'optedOut' }));
  const slot = await takeSlot(settings, sender, kind, perSecond, MAX_SLOT_WAIT_MS);
  if ('waitMs' in slot) return requeue(settings, message, slot.waitMs);
  await send(settings, context, campaign, row, message, sender);
}

/** What goes on the outbound path for one recipient: its text, or its call into the flow step with its variables. */
function outboundOf(settings: Settings, campaign: Campaign, row: RecipientRow): QueuedMessage {
  const key = `campaign|${campaign.id}|${row.index}`;
  const from = campaign.from ?? settings.TWILIO_PHONE_NUMBER;
  if (campaign.call)
    return queuedCall(key, campaign.origin, {
      to: row.to,
      from,
      ...(campaign.call.answerUrl ? { answerUrl: campaign.call.answerUrl } : {}),
      ...(Object.keys(row.variables).length ? { variables: row.variables } : {}),
    });
  return queuedText(key, campaign.origin, {
    to: row.to,
    from,
    ...(campaign.messagingServiceSid ? { messagingServiceSid: campaign.messagingServiceSid } : {}),
    body: render(campaign.body ?? '', row.variables),
  });
}

/** Twilio answered 429 or 5xx to every try: the recipient failed, its message to the poison queue (counted by health). */
async function failEveryTry(
  settings: Settings,
  context: InvocationContext,
  campaign: Campaign,
  row: RecipientRow & { etag: string },
  message: CampaignMessage,
): Promise<void> {
  await enqueueTo(settings, poisonQueue(QUEUES.campaigns), [message], storageDeadline());
  context.error(
    `Campaign ${campaign.id} recipient ${row.index}: Twilio failed ${MAX_ATTEMPTS} tries; moved to the poison queue`,
  );
  await moveRecipient(
    settings,
    campaign.id,
    row,
    { state: 'failed', error: `Twilio failed ${MAX_ATTEMPTS} tries` },
    UNSENT,
  );
}

async function send(
  settings: Settings,
  context: InvocationContext,
  campaign: Campaign,
  row: RecipientRow & { etag: string },
  message: CampaignMessage,
  sender: string,
): Promise<void> {
  const { kind } = senderOf(campaign, settings);
  const move = (changes: Partial<RecipientRow> & { state: RecipientState }) =>
    moveRecipient(settings, campaign.id, row, changes, UNSENT);
  let outcome;
  // When the try Twilio accepted was made (its slot): the achieved rate is of these, not of when answers came.
  let triedAt = '';
  for (let attempt = message.attempt; !outcome; attempt++) {
    try {
      triedAt = new Date().toISOString();
      outcome = await sendKeyed(outboundOf(settings, campaign, row), context, () =>
        requeue(settings, message, DEADLINES.queuedRecheckMs),
      );
    } catch (error) {
      if (!nothingHappened(error)) throw error;
      giveBackSlot(sender, kind);
      const next = { ...message, attempt: attempt + 1 };
      if (next.attempt >= MAX_ATTEMPTS) return failEveryTry(settings, context, campaign, row, next);
      if (next.attempt - message.attempt > TRIES_AT_ONCE) return requeue(settings, next, backoffMs(attempt));
      // Tried again now, in the line for a slot: the one given back if no other send here waits for it.
      const slot = await takeSlot(settings, sender, kind, senderOf(campaign, settings).perSecond, MAX_SLOT_WAIT_MS);
      if ('waitMs' in slot) return requeue(settings, next, slot.waitMs);
    }
  }
  if (outcome.state === 'held') return;
  if (outcome.state === 'optedOut') return void (await move({ state: 'optedOut' }));
  if (outcome.state === 'refused')
    return void (await move({
      state: 'failed',
      errorCode: outcome.code,
      error: `Twilio refused it (${outcome.status}): ${outcome.message}`,
    }));
  await rememberSend(settings, campaign.id, row.index, outcome.placed.sid);
  const sent = await move({ state: 'sent', sid: outcome.placed.sid, sentAt: triedAt });
  // Its status callback may have come first, before the recipient was sent: look at the record once.
  if (sent) await settle(settings, campaign.id, row.index, outcome.placed.sid);
}
