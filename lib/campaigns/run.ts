/**
 * The queue-triggered sender of campaigns: one message per recipient. Before each send it
 * checks the campaign (canceled?), the start time and window (outside: the message comes back
 * when it opens), the opt-out list and the sender's shared rate (rate.ts); then the text goes
 * through the outbound queue's send-once code (sendKeyed: the same code as POST /api/messages,
 * keyed `campaign|<id>|<index>`), so a message delivered twice never texts twice.
 *
 * Twilio's 429 and 5xx (and Twilio unreachable): the slot is given back and the message comes
 * back after a backoff (2, 4, 8 … 60 s); after MAX_ATTEMPTS it goes to the poison queue and
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
import { queuedText } from '../outbound/kinds';
import { enqueueTo } from '../outbound/queue';
import { sendKeyed } from '../outbound/sendQueued';
import { campaignClock } from './clock';
import { hasOptedOut } from './optOuts';
import { giveBackSlot, takeSlot } from './rate';
import { render } from './schema';
import { FINAL_STATES, readCampaign, readRecipient, updateRecipient, type Campaign, type RecipientRow } from './store';
import { nextOpening } from './window';

export const campaignMessage = z.object({
  campaign: z.string().min(1).max(64),
  index: z.number().int().min(0),
  attempt: z.number().int().min(0).default(0),
});
export type CampaignMessage = z.output<typeof campaignMessage>;

/** Tries of a recipient that Twilio answered 429 or 5xx before it is failed and its message poisoned. */
export const MAX_ATTEMPTS = 8;
/** A send slot further off than this is not taken: the message comes back when it is free. */
const MAX_SLOT_WAIT_MS = 10_000;
const CAMPAIGN_CACHE_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
export const backoffMs = (attempt: number) => Math.min(60, 2 ** (attempt + 1)) * 1000;

/** Puts a campaign's messages on its queue, each visible after `delayMs`. */
export async function enqueueRecipients(
  settings: Settings,
  messages: CampaignMessage[],
  delayMs: (n: number) => number,
) {
  for (let start = 0; start < messages.length; start += 200) {
    const chunk = messages.slice(start, start + 200);
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
  if (!campaign) return context.error(`Dropped a message of campaign ${message.campaign}, which does not exist`);
  const row = await readRecipient(settings, campaign.id, message.index);
  if (FINAL_STATES.includes(row.state)) return;
  if (campaign.canceledAt) return updateRecipient(settings, campaign.id, { ...row, state: 'canceled' });
  const wait = waitMs(campaign, campaignClock.now());
  if (wait > 0) {
    if (campaign.window && Date.parse(campaign.startAt) <= campaignClock.now().getTime())
      await updateRecipient(settings, campaign.id, { ...row, state: 'waitingForWindow' });
    return requeue(settings, message, wait);
  }
  const sender = campaign.messagingServiceSid ?? campaign.from ?? settings.TWILIO_PHONE_NUMBER;
  if (await hasOptedOut(settings, sender, row.to))
    return updateRecipient(settings, campaign.id, { ...row, state: 'optedOut' });
  const slot = await takeSlot(settings, sender, campaign.textsPerSecond, MAX_SLOT_WAIT_MS);
  if ('waitMs' in slot) return requeue(settings, message, slot.waitMs);
  await sleep(slot.at - Date.now());
  await send(settings, context, campaign, row, message, sender);
}

async function send(
  settings: Settings,
  context: InvocationContext,
  campaign: Campaign,
  row: RecipientRow,
  message: CampaignMessage,
  sender: string,
): Promise<void> {
  const text = queuedText(`campaign|${campaign.id}|${row.index}`, campaign.origin, {
    to: row.to,
    from: campaign.from ?? settings.TWILIO_PHONE_NUMBER,
    ...(campaign.messagingServiceSid ? { messagingServiceSid: campaign.messagingServiceSid } : {}),
    body: render(campaign.body, row.variables),
  });
  let outcome;
  try {
    outcome = await sendKeyed(text, context, () => requeue(settings, message, DEADLINES.queuedRecheckMs));
  } catch (error) {
    if (!nothingHappened(error)) throw error;
    giveBackSlot(sender);
    if (message.attempt + 1 < MAX_ATTEMPTS)
      return requeue(settings, { ...message, attempt: message.attempt + 1 }, backoffMs(message.attempt));
    await enqueueTo(settings, poisonQueue(QUEUES.campaigns), [message], storageDeadline());
    context.error(
      `Campaign ${campaign.id} recipient ${row.index}: Twilio failed ${MAX_ATTEMPTS} tries; moved to the poison queue`,
    );
    return updateRecipient(settings, campaign.id, {
      ...row,
      state: 'failed',
      error: `Twilio failed ${MAX_ATTEMPTS} tries`,
    });
  }
  if (outcome.state === 'held') return;
  if (outcome.state === 'optedOut') return updateRecipient(settings, campaign.id, { ...row, state: 'optedOut' });
  if (outcome.state === 'sent')
    return updateRecipient(settings, campaign.id, {
      ...row,
      state: 'sent',
      sid: outcome.placed.sid,
      sentAt: new Date().toISOString(),
    });
  await updateRecipient(settings, campaign.id, {
    ...row,
    state: 'failed',
    errorCode: outcome.code,
    error: `Twilio refused it (${outcome.status}): ${outcome.message}`,
  });
}
