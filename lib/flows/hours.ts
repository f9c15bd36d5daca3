import type { Day, Hours } from './schema';

const DAY_NAMES: Record<string, Day> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};
const formats = new Map<string, Intl.DateTimeFormat>();

function wallClock(timeZone: string, now: Date): { date: string; day: Day; time: string } {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(now).map((part) => [part.type, part.value]));
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    day: DAY_NAMES[parts.weekday!]!,
    time: `${parts.hour}:${parts.minute}`,
  };
}

/** Whether the line is open at `now`: a listed span of the day in the schedule's time zone, and not a closure date. */
export function isOpen(hours: Hours, now: Date): boolean {
  const { date, day, time } = wallClock(hours.timeZone, now);
  if (hours.closures.includes(date)) return false;
  return (hours.weekly[day] ?? []).some((span) => time >= span.slice(0, 5) && time < span.slice(6));
}
