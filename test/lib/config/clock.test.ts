import { describe, expect, it } from 'vitest';
import { atTime, now } from '../../../lib/config/clock';

describe('the clock', () => {
  it('is the real time unless a request runs at another', () => {
    const before = Date.now();
    const time = now().getTime();
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });

  it('runs work, and everything it awaits, at the time given, and only that work', async () => {
    const monday = new Date('2026-03-02T09:30:00Z');
    const seen = await atTime(monday, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return now().toISOString();
    });
    expect(seen).toBe(monday.toISOString());
    expect(Math.abs(now().getTime() - Date.now())).toBeLessThan(1000);
  });

  it('keeps two requests at different times apart', async () => {
    const times = ['2026-01-01T00:00:00.000Z', '2026-06-01T12:00:00.000Z'];
    const seen = await Promise.all(
      times.map((time) =>
        atTime(new Date(time), async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return now().toISOString();
        }),
      ),
    );
    expect(seen).toEqual(times);
  });
});
