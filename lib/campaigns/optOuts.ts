import type { Settings } from '../config/settings';

/**
 * Whether `to` opted out of texts from `sender`: the one place campaigns ask. The app's
 * opt-out list (issue 21) is not in main yet, so nobody has opted out; when it lands, this
 * calls its check and the campaign records the recipient as `optedOut`.
 */
export async function hasOptedOut(_settings: Settings, _sender: string, _to: string): Promise<boolean> {
  return false;
}
