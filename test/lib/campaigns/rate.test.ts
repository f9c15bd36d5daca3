import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { takeSlot } from '../../../lib/campaigns/rate';
import { baseSettings } from '../../support/settings';

const settings = loadSettings(baseSettings);
const sender = () => `+1555${randomBytes(4).readUInt32BE() % 10_000_000}`;

describe('a sender’s rate, shared through the campaigns table (Azurite)', () => {
  it('hands out send slots 1/rate apart, however many ask at once', async () => {
    const from = sender();
    const slots = await Promise.all(Array.from({ length: 12 }, () => takeSlot(settings, from, 10, 10_000)));
    const times = slots.map((slot) => ('at' in slot ? slot.at : NaN)).sort((a, b) => a - b);
    expect(times.every(Number.isFinite)).toBe(true);
    for (let n = 1; n < times.length; n++) expect(times[n]! - times[n - 1]!).toBeGreaterThanOrEqual(99.9);
  });

  it('answers how long to wait instead of a slot further off than the caller will wait', async () => {
    const from = sender();
    const first = await takeSlot(settings, from, 1, 0);
    expect(first).toHaveProperty('at');
    const next = await takeSlot(settings, from, 1, 0);
    expect(next).toEqual({ waitMs: expect.any(Number) });
    expect((next as { waitMs: number }).waitMs).toBeGreaterThan(0);
    expect((next as { waitMs: number }).waitMs).toBeLessThanOrEqual(1000);
  });

  it('keeps each sender’s rate apart', async () => {
    const [a, b] = [sender(), sender()];
    await takeSlot(settings, a, 1, 0);
    expect(await takeSlot(settings, b, 1, 0)).toHaveProperty('at');
  });
});
