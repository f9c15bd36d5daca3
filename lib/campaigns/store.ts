/**
 * Campaigns in the TwilioCampaigns table. One partition per campaign (`campaign|<id>`): its
 * header (RowKey `campaign`) and one row per recipient (RowKey `r|<index, 6 digits>`), so a
 * campaign's recipients are written in transactions of 100 and read in order. Each sender's
 * rate budget lives beside them (rate.ts).
 */
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import type { Hours } from '../flows/schema';
import { storageStatus, withTables } from '../records/tables';
import type { Recipient } from './schema';

/**
 * waiting: not sent yet; waitingForWindow: looked at outside the window, sent when it opens;
 * sent: Twilio accepted it; delivered / failed: its status callbacks said so (failed also when
 * Twilio refused it, with Twilio's code, or failed every try); optedOut: on the opt-out list;
 * canceled: the campaign was canceled before it was sent.
 */
export const RECIPIENT_STATES = [
  'waiting',
  'waitingForWindow',
  'sent',
  'delivered',
  'failed',
  'optedOut',
  'canceled',
] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];
/** States the queue function never leaves (sent becomes delivered or failed by the status callbacks). */
export const FINAL_STATES: readonly RecipientState[] = ['sent', 'delivered', 'failed', 'optedOut', 'canceled'];

export interface Campaign {
  id: string;
  name: string;
  /** A text campaign's text (a template); a call campaign has `call` instead. */
  body?: string | undefined;
  /** A call campaign's flow step (none: the entry step) and where Twilio fetches it when the callee answers. */
  call?: { step?: string | undefined; answerUrl?: string | undefined } | undefined;
  /** The app's public origin when the campaign was made: status callbacks of its texts go there. */
  origin: string;
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  textsPerSecond: number;
  callsPerSecond: number;
  window?: Hours | undefined;
  startAt: string;
  createdAt: string;
  recipients: number;
  canceledAt?: string | undefined;
}

export interface RecipientRow {
  index: number;
  to: string;
  variables: Recipient['variables'];
  state: RecipientState;
  sid?: string | undefined;
  /** Twilio's error code when Twilio refused the text, or why it failed. */
  errorCode?: number | undefined;
  error?: string | undefined;
  sentAt?: string | undefined;
  updatedAt: string;
}

/** Reading every recipient of a large campaign takes longer than one storage request. */
const LIST_DEADLINE_MS = 60_000;

export const partitionOf = (id: string) => `campaign|${id}`;
const HEADER = 'campaign';
export const rowOf = (index: number) => `r|${String(index).padStart(6, '0')}`;

/** Campaign work on the campaigns table within the storage deadline; failures are StoreUnavailableError. */
export function withCampaigns<T>(
  settings: Settings,
  work: (table: TableClient, signal: AbortSignal) => Promise<T>,
  ms?: number,
) {
  const signal = storageDeadline(ms);
  return withTables(settings, signal, (tables) => work(tables.campaigns, signal));
}

type HeaderEntity = Omit<Campaign, 'window' | 'call'> & {
  partitionKey: string;
  rowKey: string;
  window?: string;
  call?: string;
};

const toHeader = (campaign: Campaign): HeaderEntity => ({
  ...campaign,
  partitionKey: partitionOf(campaign.id),
  rowKey: HEADER,
  window: campaign.window && JSON.stringify(campaign.window),
  call: campaign.call && JSON.stringify(campaign.call),
});

export async function readCampaign(settings: Settings, id: string): Promise<(Campaign & { etag: string }) | undefined> {
  return withCampaigns(settings, async (table, signal) => {
    try {
      const entity = await table.getEntity<HeaderEntity>(partitionOf(id), HEADER, { abortSignal: signal });
      return {
        ...fields(entity),
        window: entity.window ? (JSON.parse(entity.window) as Hours) : undefined,
        call: entity.call ? (JSON.parse(entity.call) as Campaign['call']) : undefined,
      };
    } catch (error) {
      if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
      throw error;
    }
  });
}

/** An entity without the keys and timestamp storage adds. */
function fields<T extends object>(entity: T): Omit<T, 'partitionKey' | 'rowKey' | 'timestamp'> {
  const hidden = new Set(['partitionKey', 'rowKey', 'timestamp', 'odata.metadata']);
  return Object.fromEntries(Object.entries(entity).filter(([key]) => !hidden.has(key))) as Omit<
    T,
    'partitionKey' | 'rowKey' | 'timestamp'
  >;
}

/** Writes the header (the campaign exists from then on), or updates it when `etag` is given: false when it changed since. */
export async function writeCampaign(settings: Settings, campaign: Campaign, etag?: string): Promise<boolean> {
  return withCampaigns(settings, async (table, signal) => {
    try {
      if (etag) await table.updateEntity(toHeader(campaign), 'Replace', { etag, abortSignal: signal });
      else await table.upsertEntity(toHeader(campaign), 'Replace', { abortSignal: signal });
      return true;
    } catch (error) {
      if (storageStatus(error) === 412) return false;
      throw error;
    }
  });
}

type RecipientEntity = Omit<RecipientRow, 'variables'> & { partitionKey: string; rowKey: string; variables: string };

/** A recipient's row as stored. */
export const recipientEntity = (id: string, row: RecipientRow): RecipientEntity => ({
  ...row,
  partitionKey: partitionOf(id),
  rowKey: rowOf(row.index),
  variables: JSON.stringify(row.variables),
});
const fromEntity = (entity: RecipientEntity & { etag: string }): RecipientRow & { etag: string } => ({
  ...fields(entity),
  variables: JSON.parse(entity.variables) as Recipient['variables'],
});

export async function readRecipient(settings: Settings, id: string, index: number) {
  return withCampaigns(settings, async (table, signal) =>
    fromEntity(await table.getEntity<RecipientEntity>(partitionOf(id), rowOf(index), { abortSignal: signal })),
  );
}

/** Recipients in index order from `after` (exclusive), at most `limit`; all of them without a limit. */
export async function listRecipients(settings: Settings, id: string, after = -1, limit = Infinity) {
  return withCampaigns(
    settings,
    async (table, signal) => {
      const { odata } = await import('@azure/data-tables');
      const rows: RecipientRow[] = [];
      const filter = odata`PartitionKey eq ${partitionOf(id)} and RowKey gt ${after < 0 ? 'r|' : rowOf(after)} and RowKey lt ${'r}'}`;
      for await (const entity of table.listEntities<RecipientEntity>({
        queryOptions: { filter },
        abortSignal: signal,
      })) {
        rows.push(fromEntity(entity as RecipientEntity & { etag: string }));
        if (rows.length >= limit) break;
      }
      return rows;
    },
    LIST_DEADLINE_MS,
  );
}
