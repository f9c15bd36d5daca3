import { isOpen } from '../flows/hours';
import type { Hours } from '../flows/schema';

const MINUTE = 60_000;
/** A window that opens less often than once a week (only closures ahead) is looked at again after this. */
const HORIZON_MS = 8 * 24 * 60 * MINUTE;

/** When the window next opens after `now` (spans are whole minutes), or undefined within eight days. */
export function nextOpening(window: Hours, now: Date): Date | undefined {
  const from = Math.ceil(now.getTime() / MINUTE) * MINUTE;
  for (let at = from; at < now.getTime() + HORIZON_MS; at += MINUTE) {
    if (isOpen(window, new Date(at))) return new Date(at);
  }
  return undefined;
}
