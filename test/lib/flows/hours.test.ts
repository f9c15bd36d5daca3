import { describe, expect, it } from 'vitest';
import { isOpen, lineNow, timeIn } from '../../../lib/flows/hours';
import type { Hours } from '../../../lib/flows/schema';

const hours = (weekly: Hours['weekly'], closures: string[] = [], timeZone = 'Europe/Paris'): Hours => ({
  timeZone,
  weekly,
  closures,
});

describe('isOpen', () => {
  // 2026-11-23 is a Monday; Paris is UTC+1 in November, UTC+2 in July.
  const weekdays = hours({ mon: ['09:00-12:00', '13:00-17:30'] });
  const at = (schedule: Hours, iso: string) => isOpen(schedule, new Date(iso));

  it('is open from the first minute of a span up to, not including, its last', () => {
    expect(at(weekdays, '2026-11-23T07:59:59Z')).toBe(false); // 08:59:59
    expect(at(weekdays, '2026-11-23T08:00:00Z')).toBe(true); // 09:00
    expect(at(weekdays, '2026-11-23T10:59:59Z')).toBe(true); // 11:59:59
    expect(at(weekdays, '2026-11-23T11:00:00Z')).toBe(false); // 12:00
  });

  it('reads every span of a day', () => {
    expect(at(weekdays, '2026-11-23T11:30:00Z')).toBe(false); // 12:30, between the spans
    expect(at(weekdays, '2026-11-23T12:00:00Z')).toBe(true); // 13:00
    expect(at(weekdays, '2026-11-23T16:29:00Z')).toBe(true); // 17:29
    expect(at(weekdays, '2026-11-23T16:30:00Z')).toBe(false); // 17:30
  });

  it('treats a day that is not listed as closed', () => {
    expect(at(weekdays, '2026-11-24T10:00:00Z')).toBe(false); // Tuesday 11:00
  });

  it('runs a span ending at 24:00 to midnight', () => {
    const late = hours({ mon: ['20:00-24:00'] });
    expect(at(late, '2026-11-23T22:59:00Z')).toBe(true); // Monday 23:59
    expect(at(late, '2026-11-23T23:00:00Z')).toBe(false); // Tuesday 00:00
  });

  it('takes the day and the time in the schedule’s zone, not in UTC', () => {
    const tokyo = hours({ tue: ['08:00-10:00'] }, [], 'Asia/Tokyo');
    expect(at(tokyo, '2026-11-23T23:30:00Z')).toBe(true); // Monday in UTC, Tuesday 08:30 in Tokyo
    expect(at(weekdays, '2026-07-06T07:30:00Z')).toBe(true); // 09:30 in Paris summer time (UTC+2)
    expect(at(weekdays, '2026-11-23T07:30:00Z')).toBe(false); // 08:30 in Paris winter time (UTC+1)
  });

  it('is closed all day on a closure date, the date read in the schedule’s zone', () => {
    const closed = hours({ mon: ['00:00-24:00'], tue: ['00:00-24:00'] }, ['2026-11-24']);
    expect(at(closed, '2026-11-23T22:30:00Z')).toBe(true); // Monday 23:30 in Paris
    expect(at(closed, '2026-11-23T23:30:00Z')).toBe(false); // already Tuesday 00:30 in Paris, still Monday in UTC
    expect(at(closed, '2026-11-24T22:59:00Z')).toBe(false); // Tuesday 23:59
  });
});

describe('the line now', () => {
  const office = {
    timeZone: 'America/New_York',
    weekly: { mon: ['09:00-17:00'], fri: ['09:00-12:00', '13:00-17:00'] },
    closures: ['2026-06-08'],
  };

  it('reads a time without an offset in the schedule’s zone, one with an offset as it says', () => {
    expect(timeIn('2026-06-07T10:00', 'America/New_York')?.toISOString()).toBe('2026-06-07T14:00:00.000Z');
    expect(timeIn('2026-01-07T10:00', 'America/New_York')?.toISOString()).toBe('2026-01-07T15:00:00.000Z');
    expect(timeIn('2026-06-07T10:00:00+02:00', 'America/New_York')?.toISOString()).toBe('2026-06-07T08:00:00.000Z');
    expect(timeIn('2026-02-30T10:00', 'UTC')).toBeUndefined();
    expect(timeIn('tomorrow', 'UTC')).toBeUndefined();
  });

  it('says whether it is open and until when, past closures and lunch breaks', () => {
    const at = (wall: string) => timeIn(wall, office.timeZone)!;
    expect(lineNow(office, at('2026-06-12T10:00'))).toEqual({
      open: true,
      until: at('2026-06-12T12:00').toISOString(),
      summary: 'open until Fri 2026-06-12 12:00 (America/New_York)',
    });
    expect(lineNow(office, at('2026-06-07T10:00')).summary).toBe(
      'closed until Fri 2026-06-12 09:00 (America/New_York)',
    );
    expect(lineNow({ ...office, weekly: {} }, at('2026-06-07T10:00')).summary).toBe(
      'closed all week (America/New_York)',
    );
    expect(lineNow(undefined, new Date())).toEqual({ open: true, summary: 'open: the flow file has no hours' });
  });
});
