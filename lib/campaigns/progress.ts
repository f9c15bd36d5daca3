import type { Settings } from '../config/settings';
import { findRecordOnly } from '../records/store';
import { RECIPIENT_STATES, updateRecipient, type Campaign, type RecipientRow, type RecipientState } from './store';

const DELIVERED = new Set(['delivered', 'read']);
const UNDELIVERED = new Set(['undelivered', 'failed']);
const LOOKUPS_AT_ONCE = 16;

/**
 * What the status callbacks recorded of the texts still `sent`: delivered, or failed with
 * Twilio's error code. The recipient keeps what it learned, so each is looked up until it settles.
 */
export async function followDelivery(settings: Settings, id: string, rows: RecipientRow[]): Promise<void> {
  const sent = rows.filter((row) => row.state === 'sent' && row.sid);
  for (let start = 0; start < sent.length; start += LOOKUPS_AT_ONCE) {
    await Promise.all(
      sent.slice(start, start + LOOKUPS_AT_ONCE).map(async (row) => {
        const record = await findRecordOnly(settings, 'message', row.sid!);
        const status = record?.status ?? '';
        if (!DELIVERED.has(status) && !UNDELIVERED.has(status)) return;
        row.state = DELIVERED.has(status) ? 'delivered' : 'failed';
        if (row.state === 'failed') {
          row.errorCode = record?.errorCode;
          row.error = `Twilio reported it ${status}`;
        }
        await updateRecipient(settings, id, row);
      }),
    );
  }
}

/** A recipient's state as the campaign reports it: not yet sent when the campaign was canceled is canceled. */
export const reportedState = (campaign: Campaign, row: RecipientRow): RecipientState =>
  campaign.canceledAt && (row.state === 'waiting' || row.state === 'waitingForWindow') ? 'canceled' : row.state;

/** GET /api/campaigns/{id}: counts by state, and the rate achieved by the texts sent so far. */
export function progress(campaign: Campaign, rows: RecipientRow[]) {
  const counts = Object.fromEntries(RECIPIENT_STATES.map((state) => [state, 0])) as Record<RecipientState, number>;
  for (const row of rows) counts[reportedState(campaign, row)]++;
  const sentTimes = rows
    .filter((row) => row.sentAt)
    .map((row) => Date.parse(row.sentAt!))
    .sort((a, b) => a - b);
  const seconds = sentTimes.length > 1 ? (sentTimes.at(-1)! - sentTimes[0]!) / 1000 : 0;
  return {
    id: campaign.id,
    name: campaign.name,
    text: { body: campaign.body },
    sender: campaign.messagingServiceSid ?? campaign.from ?? null,
    rate: { textsPerSecond: campaign.textsPerSecond, callsPerSecond: campaign.callsPerSecond },
    window: campaign.window ?? null,
    startAt: campaign.startAt,
    createdAt: campaign.createdAt,
    canceledAt: campaign.canceledAt ?? null,
    recipients: campaign.recipients,
    counts,
    done: counts.waiting + counts.waitingForWindow === 0,
    achieved: {
      texts: sentTimes.length,
      firstSentAt: sentTimes.length ? new Date(sentTimes[0]!).toISOString() : null,
      lastSentAt: sentTimes.length ? new Date(sentTimes.at(-1)!).toISOString() : null,
      textsPerSecond: seconds > 0 ? Math.round(((sentTimes.length - 1) / seconds) * 100) / 100 : null,
    },
  };
}
