/**
 * The shared rate against a real Azurite, without the rest of a campaign (so this machine's
 * load does not decide the result): sixteen sends at a time take their slots and, one try in
 * ten, are refused (Twilio's 429), give the slot back and try again after a backoff. The
 * accepted sends stay at the rate: the given-back slot goes to the next send waiting, so the
 * refused tries leave no hole (before, each send waited for a slot of its own and a given-back
 * slot found no taker: 10% under).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { giveBackSlot, takeSlot } from '../../../lib/campaigns/rate';
import { getSettings, loadSettings } from '../../../lib/config/settings';
import { useOwnAzurite } from '../../support/azurite';
import { baseSettings } from '../../support/settings';

useOwnAzurite();

const RATE = 20;
const SENDS = 200;

describe('the shared rate', () => {
  it('holds the accepted sends at the rate, though one try in ten is refused and tried again', async () => {
    const settings = getSettings();
    const accepted: number[] = [];
    let tries = 0;
    // Sixteen sends at a time, as one instance runs a batch; each a few ms of work after its slot.
    const send = async (): Promise<void> => {
      for (;;) {
        const slot = await takeSlot(settings, '+15550100000', 'sms', RATE, 10_000);
        if ('waitMs' in slot) throw new Error(`no slot within 10 s (${slot.waitMs} ms)`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (++tries % 10 === 0) {
          // Refused: the slot given back, the send tried again after a backoff (as a requeued message).
          giveBackSlot('+15550100000', 'sms');
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          continue;
        }
        accepted.push(Date.now());
        return;
      }
    };
    // A stream with more to send (as a campaign's backlog), measured over its first SENDS accepted.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (accepted.length < SENDS) await send();
      }),
    );
    const first = accepted.sort((a, b) => a - b).slice(0, SENDS);
    const achieved = (SENDS - 1) / ((first.at(-1)! - first[0]!) / 1000);
    console.log(`${SENDS} accepted of ${tries} tries: ${achieved.toFixed(2)} per second at ${RATE}`);
    expect(tries).toBeGreaterThan(SENDS);
    expect(Math.abs(achieved - RATE) / RATE).toBeLessThan(0.05);
  }, 60_000);
});

const shared = loadSettings(baseSettings);
const sender = () => `+1555${randomBytes(4).readUInt32BE() % 10_000_000}`;

describe('a sender’s rate, shared through the campaigns table (Azurite)', () => {
  it('hands out send slots 1/rate apart, however many ask at once', async () => {
    const from = sender();
    const slots = await Promise.all(Array.from({ length: 12 }, () => takeSlot(shared, from, 'sms', 10, 10_000)));
    const times = slots.map((slot) => ('at' in slot ? slot.at : NaN)).sort((a, b) => a - b);
    expect(times.every(Number.isFinite)).toBe(true);
    for (let n = 1; n < times.length; n++) expect(times[n]! - times[n - 1]!).toBeGreaterThanOrEqual(99.9);
  });

  it('answers how long to wait instead of a slot further off than the caller will wait', async () => {
    const from = sender();
    const first = await takeSlot(shared, from, 'sms', 1, 0);
    expect(first).toHaveProperty('at');
    const next = await takeSlot(shared, from, 'sms', 1, 0);
    expect(next).toEqual({ waitMs: expect.any(Number) });
    expect((next as { waitMs: number }).waitMs).toBeGreaterThan(0);
    expect((next as { waitMs: number }).waitMs).toBeLessThanOrEqual(1000);
  });

  it('keeps each sender’s rate apart, and a sender’s texts apart from its calls', async () => {
    const [a, b] = [sender(), sender()];
    await takeSlot(shared, a, 'sms', 1, 0);
    expect(await takeSlot(shared, b, 'sms', 1, 0)).toHaveProperty('at');
    expect(await takeSlot(shared, a, 'call', 1, 0)).toHaveProperty('at');
  });
});
