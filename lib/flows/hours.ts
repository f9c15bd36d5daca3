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

const MINUTE = 60_000;
/** A week and a day: past that, a schedule that never changes (always open, or always closed). */
const LOOK_AHEAD_MINUTES = 8 * 24 * 60;

/** Whether the line is open at `now`, and the next minute it is not (or is), within a week. */
export function lineState(hours: Hours, now: Date): { open: boolean; until?: Date } {
  const open = isOpen(hours, now);
  const start = Math.floor(now.getTime() / MINUTE) * MINUTE;
  for (let minute = 1; minute <= LOOK_AHEAD_MINUTES; minute++) {
    const at = new Date(start + minute * MINUTE);
    if (isOpen(hours, at) !== open) return { open, until: at };
  }
  return { open };
}

export interface LineNow {
  open: boolean;
  /** When that changes (ISO 8601), if it does within a week. */
  until?: string;
  /** `open until Mon 2026-06-01 17:00 (America/New_York)`: what npm start and /api/health say. */
  summary: string;
}

/** Whether the line is open at `now` and until when, as npm start's banner and /api/health say it. */
export function lineNow(hours: Hours | undefined, now: Date): LineNow {
  if (!hours) return { open: true, summary: 'open: the flow file has no hours' };
  const { open, until } = lineState(hours, now);
  const state = open ? 'open' : 'closed';
  if (!until) return { open, summary: `${state} all week (${hours.timeZone})` };
  const wall = wallClock(hours.timeZone, until);
  const day = Object.keys(DAY_NAMES).find((name) => DAY_NAMES[name] === wall.day)!;
  return {
    open,
    until: until.toISOString(),
    summary: `${state} until ${day} ${wall.date} ${wall.time} (${hours.timeZone})`,
  };
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * An ISO time such as `2026-06-01T10:00` (in `timeZone`) or `2026-06-01T10:00-04:00` (its
 * own offset) as an instant; undefined when it is not one. A wall time that a clock change
 * skips or repeats takes the offset in force just before it.
 */
export function timeIn(value: string, timeZone: string): Date | undefined {
  const match = ISO_TIME.exec(value.trim());
  if (!match) return undefined;
  if (match[7]) {
    const at = new Date(value.trim());
    return Number.isNaN(at.getTime()) ? undefined : at;
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as number[];
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const check = new Date(wall);
  if (check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day! || hour! > 23) return undefined;
  let at = wall - offsetOf(timeZone, new Date(wall));
  at = wall - offsetOf(timeZone, new Date(at));
  return new Date(at);
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, in ms. */
function offsetOf(timeZone: string, at: Date): number {
  const { date, time } = wallClock(timeZone, at);
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return Date.UTC(year, month - 1, day, hour, minute) - Math.floor(at.getTime() / MINUTE) * MINUTE;
}
