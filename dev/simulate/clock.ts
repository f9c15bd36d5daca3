/**
 * `--at`: when the simulated call or text happens. A time without an offset is read in the
 * flow file's time zone (its `hours.timeZone`), so `--at 2026-06-07T10:00` is ten in the
 * morning where the line is. The app hears it only through the local host (X-Emulator-Time).
 */
import { existsSync } from 'node:fs';
import { timeIn } from '../../lib/flows/hours';
import { flowFileLocation, readFlowFile } from '../../lib/flows/load';
import { UsageError } from '../cli/args';
import { readSettings } from '../cli/settings';

/** The time zone of the flow file npm start serves (PHONE_FLOWS, else flows.json), else UTC. */
export function flowTimeZone(root: string, env: Record<string, string | undefined>): string {
  const location = flowFileLocation({ PHONE_FLOWS: readSettings(root, env).PHONE_FLOWS }, root);
  if (!existsSync(location.path)) return 'UTC';
  try {
    return readFlowFile(location.path, location.shown).hours?.timeZone ?? 'UTC';
  } catch {
    return 'UTC';
  }
}

/** --at as an ISO instant (with Z), or undefined when not given. */
export function simulatedTime(
  value: string | undefined,
  root: string,
  env: Record<string, string | undefined>,
): string | undefined {
  if (value === undefined) return undefined;
  const zone = flowTimeZone(root, env);
  const at = timeIn(value, zone);
  if (!at)
    throw new UsageError(
      `--at must be an ISO time such as 2026-06-01T10:00 (in the flow's time zone, ${zone}) or 2026-06-01T10:00:00Z, not "${value}"`,
    );
  return at.toISOString();
}
