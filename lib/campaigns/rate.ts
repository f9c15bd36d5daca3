/**
 * Each sender's rate, shared by every instance: one entity per sender and kind (PartitionKey
 * `rate|<sender>`, RowKey `sms`) holding the next free send time. A send takes the slot by
 * moving it on by 1/rate seconds with the entity's ETag; of two instances that read the same
 * slot, one write wins and the other (412) reads again. So the slots handed out are 1/rate
 * apart, whatever the number of instances or workers.
 */
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import type { Settings } from '../config/settings';
import { storageStatus } from '../records/tables';
import { withCampaigns } from './store';

interface SlotEntity {
  partitionKey: string;
  rowKey: string;
  /** The next free send time, ms since the epoch. */
  next: number;
}

/** The slot taken (`at`, ms since the epoch), or how long until one is free when that is further off than `maxWaitMs`. */
export type Slot = { at: number } | { waitMs: number };

const MAX_TRIES = 50;
/** Each instance takes this much of the sender's time at once, then hands its slots out itself. */
const BLOCK_MS = 250;

/**
 * Slots an instance has taken from the shared budget and not yet used, per sender. Taking a
 * block at a time keeps the ETag writes (and their conflicts) to a few a second per instance
 * at any rate; a slot whose time has passed unused is dropped, so the rate never goes above.
 */
const taken = new Map<string, { slots: number[]; refill?: Promise<number> | undefined }>();

export async function takeSlot(
  settings: Settings,
  sender: string,
  perSecond: number,
  maxWaitMs: number,
): Promise<Slot> {
  const interval = 1000 / perSecond;
  const local = taken.get(sender) ?? { slots: [] };
  taken.set(sender, local);
  for (;;) {
    const now = Date.now();
    while (local.slots.length && local.slots[0]! < now - interval) local.slots.shift();
    const at = local.slots[0];
    if (at !== undefined) {
      if (at - now > maxWaitMs) return { waitMs: at - now };
      local.slots.shift();
      return { at };
    }
    local.refill ??= takeBlock(settings, sender, interval, maxWaitMs)
      .then((slots) => {
        local.slots.push(...slots);
        return slots.length;
      })
      .finally(() => (local.refill = undefined));
    // Slots a concurrent send took first send this one round again; none taken: the next free one is far off.
    if ((await local.refill) === 0) {
      const next = await nextFree(settings, sender);
      return { waitMs: Math.max(1, next - Date.now()) };
    }
  }
}

/** Takes the next BLOCK_MS of the sender's time from the shared entity (none when it is further off than maxWaitMs). */
async function takeBlock(settings: Settings, sender: string, interval: number, maxWaitMs: number): Promise<number[]> {
  const count = Math.max(1, Math.floor(BLOCK_MS / interval));
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const taken = await withCampaigns(settings, async (table, signal) => {
      const now = Date.now();
      const current = await read(table, sender, signal);
      const at = Math.max(now, current?.next ?? 0);
      if (at - now > maxWaitMs) return [];
      const entity: SlotEntity = { partitionKey: `rate|${sender}`, rowKey: 'sms', next: at + count * interval };
      try {
        if (current) await table.updateEntity(entity, 'Replace', { etag: current.etag, abortSignal: signal });
        else await table.createEntity(entity, { abortSignal: signal });
        return Array.from({ length: count }, (_, n) => at + n * interval);
      } catch (error) {
        if (storageStatus(error) !== 412 && storageStatus(error) !== 409) throw error;
        return undefined;
      }
    });
    if (taken) return taken;
  }
  throw new Error(`Could not take send slots for ${sender}: ${MAX_TRIES} tries met other writers`);
}

async function nextFree(settings: Settings, sender: string): Promise<number> {
  return withCampaigns(settings, async (table, signal) => (await read(table, sender, signal))?.next ?? Date.now());
}

/**
 * A slot whose send never reached Twilio's sender queue (Twilio answered 429 or 5xx) is given
 * back to this instance, to be used now: the rate counts the texts Twilio accepted, as its
 * sender queue does.
 */
export function giveBackSlot(sender: string): void {
  taken.get(sender)?.slots.unshift(Date.now());
}

async function read(table: TableClient, sender: string, signal: AbortSignal) {
  try {
    return await table.getEntity<SlotEntity>(`rate|${sender}`, 'sms', { abortSignal: signal });
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}
