import type { Settings } from '../config/settings';
import { optOutsOf } from '../records/optOuts';

/**
 * Whether `to` opted out of texts from `sender`: the one place campaigns ask, before a send
 * slot is spent. It reads the app's opt-out list (lib/records/optOuts.ts, per sender or for the
 * whole line as the setting says); sendMessage checks the list again on the way to Twilio.
 */
export async function hasOptedOut(settings: Settings, sender: string, to: string): Promise<boolean> {
  return (await optOutsOf(settings, to, sender)).length > 0;
}
