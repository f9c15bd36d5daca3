import { describe, expect, it } from 'vitest';
import { nextOpening } from '../../../lib/campaigns/window';

const weekdays = { timeZone: 'America/New_York', weekly: { mon: ['09:00-17:00'], tue: ['09:00-17:00'] }, closures: [] };

describe('nextOpening', () => {
  it('is the minute the window opens next, in its time zone', () => {
    // Monday 2026-03-02 18:00 in New York (23:00 UTC): next is Tuesday 09:00 (14:00 UTC).
    expect(nextOpening(weekdays, new Date('2026-03-02T23:00:00Z'))?.toISOString()).toBe('2026-03-03T14:00:00.000Z');
  });

  it('is the next whole minute when the window is open now', () => {
    expect(nextOpening(weekdays, new Date('2026-03-02T15:00:30Z'))?.toISOString()).toBe('2026-03-02T15:01:00.000Z');
  });

  it('skips a closure, and is undefined when nothing opens within eight days', () => {
    const closed = { ...weekdays, closures: ['2026-03-03'] };
    expect(nextOpening(closed, new Date('2026-03-02T23:00:00Z'))?.toISOString()).toBe('2026-03-09T13:00:00.000Z');
    expect(
      nextOpening({ timeZone: 'UTC', weekly: {}, closures: [] }, new Date('2026-03-02T00:00:00Z')),
    ).toBeUndefined();
  });
});
