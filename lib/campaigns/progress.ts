/**
 * A campaign's progress: its counts (counts.ts), and what the status callbacks say of each send.
 * A recipient moves from `sent` to `delivered` or `failed` when its status callback is recorded
 * (functions/statusCallback.ts calls settleFromCallback), found by the SID its sender kept
 * beside the campaign (`sid|<SID>`). A callback that comes before the sender has marked the
 * recipient `sent` finds nothing to move; the sender looks at the record once after marking it,
 * so one of the two always does.
 */
import type { Settings } from '../config/settings';
import { findRecordOnly } from '../records/store';
import { storageStatus } from '../records/tables';
import { moveRecipient, type Counts } from './counts';
import { readRecipient, withCampaigns, type Campaign, type RecipientRow, type RecipientState } from './store';

const DELIVERED = new Set(['delivered', 'read', 'completed']);
const UNDELIVERED = new Set(['undelivered', 'failed', 'busy', 'no-answer', 'canceled']);

type SendEntity = { partitionKey: string; rowKey: string; campaign: string; index: number };
const sendKey = (sid: string) => ({ partitionKey: `sid|${sid}`, rowKey: '' });

/** Keeps which campaign recipient a SID belongs to, before the recipient is marked sent. */
export async function rememberSend(settings: Settings, id: string, index: number, sid: string): Promise<void> {
  await withCampaigns(settings, (table, signal) =>
    table.upsertEntity<SendEntity>({ ...sendKey(sid), campaign: id, index }, 'Replace', { abortSignal: signal }),
  );
}

/** What the record of a send says of it: delivered, failed (with Twilio's code), or nothing yet. */
async function outcomeOf(settings: Settings, sid: string) {
  const record = await findRecordOnly(settings, sid.startsWith('CA') ? 'call' : 'message', sid);
  const status = record?.status ?? '';
  if (DELIVERED.has(status)) return { state: 'delivered' as const };
  if (UNDELIVERED.has(status))
    return { state: 'failed' as const, errorCode: record?.errorCode, error: `Twilio reported it ${status}` };
  return undefined;
}

/** A sent recipient whose record says it was delivered or failed is moved there (counted once). */
export async function settle(settings: Settings, id: string, index: number, sid: string): Promise<void> {
  const outcome = await outcomeOf(settings, sid);
  if (!outcome) return;
  const row = await readRecipient(settings, id, index);
  if (row.sid === sid) await moveRecipient(settings, id, row, outcome, ['sent']);
}

/** After a status callback is recorded: the campaign recipient it belongs to, if any, settled. */
export async function settleFromCallback(settings: Settings, sid: string | undefined): Promise<void> {
  if (!sid) return;
  const send = await withCampaigns(settings, async (table, signal) => {
    try {
      return await table.getEntity<SendEntity>(sendKey(sid).partitionKey, '', { abortSignal: signal });
    } catch (error) {
      if (storageStatus(error) === 404) return undefined;
      throw error;
    }
  });
  if (send) await settle(settings, send.campaign, send.index, sid);
}

/** A recipient's state as the campaign reports it: not yet sent when the campaign was canceled is canceled. */
export const reportedState = (campaign: Campaign, row: RecipientRow): RecipientState =>
  campaign.canceledAt && (row.state === 'waiting' || row.state === 'waitingForWindow') ? 'canceled' : row.state;

/** GET /api/campaigns/{id}: counts by state, and the rate achieved by the sends so far. */
export function progress(campaign: Campaign, counts: Counts) {
  const byState = { ...counts.byState };
  if (campaign.canceledAt) {
    byState.canceled += byState.waiting + byState.waitingForWindow;
    byState.waiting = byState.waitingForWindow = 0;
  }
  const first = counts.firstSentAt ? Date.parse(counts.firstSentAt) : undefined;
  const last = counts.lastSentAt ? Date.parse(counts.lastSentAt) : undefined;
  const seconds = first !== undefined && last !== undefined ? (last - first) / 1000 : 0;
  const perSecond = seconds > 0 ? Math.round(((counts.sends - 1) / seconds) * 100) / 100 : null;
  const calls = campaign.call !== undefined;
  return {
    id: campaign.id,
    name: campaign.name,
    ...(calls ? { call: campaign.call } : { text: { body: campaign.body } }),
    sender: campaign.messagingServiceSid ?? campaign.from ?? null,
    rate: { textsPerSecond: campaign.textsPerSecond, callsPerSecond: campaign.callsPerSecond },
    window: campaign.window ?? null,
    startAt: campaign.startAt,
    createdAt: campaign.createdAt,
    canceledAt: campaign.canceledAt ?? null,
    recipients: campaign.recipients,
    counts: byState,
    done: byState.waiting + byState.waitingForWindow === 0,
    achieved: {
      [calls ? 'calls' : 'texts']: counts.sends,
      firstSentAt: counts.firstSentAt ?? null,
      lastSentAt: counts.lastSentAt ?? null,
      [calls ? 'callsPerSecond' : 'textsPerSecond']: perSecond,
    },
  };
}
