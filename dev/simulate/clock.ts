/**
 * `--at`: when the simulated call or text happens. A time without an offset is read by the app
 * in its flow's time zone (`hours.timeZone`), so `--at 2026-06-07T10:00` is ten in the morning
 * where the line is. The app hears it only through the local host (X-Emulator-Time).
 */
import { timeIn } from '../../lib/flows/hours';
import { UsageError } from '../cli/args';

/** --at as given, once it is an ISO time; undefined when not given. */
export function simulatedTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!timeIn(value, 'UTC'))
    throw new UsageError(
      `--at must be an ISO time such as 2026-06-01T10:00 (in the flow's time zone) or 2026-06-01T10:00:00Z, not "${value}"`,
    );
  return value.trim();
}
