/**
 * The app's clock: what time it is for the hours of a flow. In Azure it is always the real
 * time. Only the local host (dev/functionsHost.ts) can run a request at another time, so a
 * test or `simulate --at` can try a flow's open and closed hours on any day; nothing a caller
 * sends reaches this in Azure, since no deployed code calls `atTime`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

// One store per process, even when the local host and the functions it serves load this module twice.
const setTime: AsyncLocalStorage<Date> = ((globalThis as Record<symbol, unknown>)[Symbol.for('app.clock')] ??=
  new AsyncLocalStorage<Date>()) as AsyncLocalStorage<Date>;

/** The time of the request being answered. */
export function now(): Date {
  return new Date(setTime.getStore() ?? Date.now());
}

/** Runs `work` (and everything it awaits) as if it were `at`: local only. */
export function atTime<T>(at: Date, work: () => T): T {
  return setTime.run(at, work);
}
