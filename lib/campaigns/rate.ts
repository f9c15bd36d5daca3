/**
 * Each sender's rate, shared by every instance: one entity per sender and kind (PartitionKey
 * `rate|<sender>`, RowKey `sms` for texts, `call` for calls) holding the next free send time. A send takes the slot by
 * moving it on by 1/rate seconds with the entity's ETag; of two instances that read the same
 * slot, one write wins and the other (412) reads again. So the slots handed out are 1/rate
 * apart, whatever the number of instances or workers.
 */
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import type { Settings } from '../config/settings';
import { storageStatus } from '../records/tables';
import { withCampaigns } from './store';

/** Texts and calls of one sender have budgets of their own (texts per second, calls per second). */
export type SendKind = 'sms' | 'call';

interface SlotEntity {
  partitionKey: string;
  rowKey: string;
  /** The next free send time, ms since the epoch. */
  next: number;
}

/** The slot taken (`at`, ms since the epoch, now or just past), or how long until one is free when that is further off than `maxWaitMs`. */
export type Slot = { at: number } | { waitMs: number };

const MAX_TRIES = 50;
/** Each instance takes at most this much of the sender's time at once, then hands its slots out itself. */
const BLOCK_MS = 250;

/**
 * Slots an instance has taken from the shared budget and not yet used, per sender, and the
 * sends waiting for one (first come, first served). Taking a block at a time keeps the ETag
 * writes (and their conflicts) to a few a second per instance at any rate. A slot is handed to
 * the first waiting send when its time comes, so a slot given back (its send got 429) goes to
 * the next send at once and every later send moves up one: the hole it would leave in the
 * sender's time is filled. A slot whose time has passed with no send waiting is dropped, so the
 * rate never goes above.
 */
interface Local {
  slots: number[];
  waiting: Array<(at: number) => void>;
  timer?: ReturnType<typeof setTimeout> | undefined;
  refill?: Promise<number> | undefined;
  /** Sends waiting for the next refill: it takes as many slots as they need (up to BLOCK_MS), no more. */
  asking: number;
}
const taken = new Map<string, Local>();

const localOf = (sender: string, kind: SendKind): Local => {
  let local = taken.get(`${kind}|${sender}`);
  if (!local) taken.set(`${kind}|${sender}`, (local = { slots: [], waiting: [], asking: 0 }));
  return local;
};

/** Hands each slot whose time has come to the first waiting send; wakes again for the next one. */
function dispatch(local: Local): void {
  clearTimeout(local.timer);
  local.timer = undefined;
  const now = Date.now();
  while (local.waiting.length && local.slots.length && local.slots[0]! <= now)
    local.waiting.shift()!(local.slots.shift()!);
  if (local.waiting.length && local.slots.length)
    local.timer = setTimeout(() => dispatch(local), local.slots[0]! - now);
}

/** Waits for this sender's next send slot (shared by every instance), or says how long until one when that is further off than `maxWaitMs`. */
export async function takeSlot(
  settings: Settings,
  sender: string,
  kind: SendKind,
  perSecond: number,
  maxWaitMs: number,
): Promise<Slot> {
  const interval = 1000 / perSecond;
  const local = localOf(sender, kind);
  for (;;) {
    const now = Date.now();
    if (!local.waiting.length) while (local.slots.length && local.slots[0]! < now - interval) local.slots.shift();
    // The slot this send gets: the first one no earlier send is waiting for.
    const at = local.slots[local.waiting.length];
    if (at !== undefined) {
      if (at - now > maxWaitMs) return { waitMs: at - now };
      return new Promise<Slot>((resolve) => {
        local.waiting.push((slot) => resolve({ at: slot }));
        dispatch(local);
      });
    }
    local.asking++;
    // A slot taken and not used is a hole in the sender's time: take only what the waiting sends need.
    local.refill ??= Promise.resolve().then(() =>
      takeBlock(settings, sender, kind, interval, maxWaitMs, local.asking)
        .then((slots) => {
          local.slots.push(...slots);
          return slots.length;
        })
        .finally(() => (local.refill = undefined)),
    );
    const got = await local.refill.finally(() => local.asking--);
    // Slots a concurrent send took first send this one round again; none taken: the next free one is far off.
    if (got === 0) {
      const next = await nextFree(settings, sender, kind);
      return { waitMs: Math.max(1, next - Date.now()) };
    }
  }
}

/** Takes the next `wanted` slots (at most BLOCK_MS) of the sender's time from the shared entity (none when further off than maxWaitMs). */
async function takeBlock(
  settings: Settings,
  sender: string,
  kind: SendKind,
  interval: number,
  maxWaitMs: number,
  wanted: number,
): Promise<number[]> {
  const count = Math.max(1, Math.min(wanted, Math.floor(BLOCK_MS / interval)));
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const taken = await withCampaigns(settings, async (table, signal) => {
      const now = Date.now();
      const current = await read(table, sender, kind, signal);
      const at = Math.max(now, current?.next ?? 0);
      if (at - now > maxWaitMs) return [];
      const entity: SlotEntity = { partitionKey: `rate|${sender}`, rowKey: kind, next: at + count * interval };
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

async function nextFree(settings: Settings, sender: string, kind: SendKind): Promise<number> {
  return withCampaigns(
    settings,
    async (table, signal) => (await read(table, sender, kind, signal))?.next ?? Date.now(),
  );
}

/**
 * A slot whose send never reached Twilio's sender queue (Twilio answered 429 or 5xx) is given
 * back to this instance, to be used now by the next send waiting here: the rate counts the
 * texts Twilio accepted, as its sender queue does.
 */
export function giveBackSlot(sender: string, kind: SendKind): void {
  const local = localOf(sender, kind);
  local.slots.unshift(Math.min(Date.now(), local.slots[0] ?? Infinity));
  dispatch(local);
}

async function read(table: TableClient, sender: string, kind: SendKind, signal: AbortSignal) {
  try {
    return await table.getEntity<SlotEntity>(`rate|${sender}`, kind, { abortSignal: signal });
  } catch (error) {
    if (storageStatus(error) === 404) return undefined;
    throw error;
  }
}
