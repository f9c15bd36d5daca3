import { describe, expect, it } from 'vitest';
import { campaignClock } from '../../../lib/campaigns/clock';
import { backoffMs, campaignMessage, waitMs } from '../../../lib/campaigns/run';

const window = { timeZone: 'UTC', weekly: { mon: ['09:00-17:00'] }, closures: [] };
const monday = (time: string) => new Date(`2026-03-02T${time}Z`);

describe('when a campaign may reach someone', () => {
  it('waits for its start, then for its window, and not at all inside it', () => {
    expect(waitMs({ startAt: '2026-03-02T10:00:00Z', window }, monday('09:59:00'))).toBe(60_000);
    expect(waitMs({ startAt: '2026-03-01T00:00:00Z', window }, monday('12:00:00'))).toBe(0);
    expect(waitMs({ startAt: '2026-03-01T00:00:00Z', window }, monday('08:00:00'))).toBe(60 * 60_000);
    expect(waitMs({ startAt: '2026-03-01T00:00:00Z' }, monday('03:00:00'))).toBe(0);
  });

  it('looks again after the longest wait when the window does not open within eight days', () => {
    const never = { timeZone: 'UTC', weekly: {}, closures: [] };
    expect(waitMs({ startAt: '2026-03-01T00:00:00Z', window: never }, monday('12:00:00'))).toBe(
      campaignClock.maxWaitMs,
    );
  });
});

describe('a recipient tried again', () => {
  it('backs off doubling from 1 s, to a minute at most', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it('is a message naming its campaign and index, a first try unless it says', () => {
    expect(campaignMessage.parse({ campaign: 'c1', index: 3 })).toEqual({ campaign: 'c1', index: 3, attempt: 0 });
    expect(campaignMessage.safeParse({ campaign: 'c1', index: -1 }).success).toBe(false);
  });
});
