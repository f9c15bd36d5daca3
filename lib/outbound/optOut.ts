/**
 * Every text the app sends is checked against the opt-out list (lib/records/optOuts.ts) before
 * it reaches Twilio: POST /api/messages, the queued texts (rule forwards, voicemail alerts, a
 * call's `sms`), all through sendMessage. A refused text is a 409 with code
 * `recipient-opted-out`, logged and noted on the opt-out row; a queued one is settled as refused.
 */
import type { Settings } from '../config/settings';
import { AppError } from '../errors';
import { noteRefusal, optOutsOf, type OptOutEntry } from '../records/optOuts';

export const OPTED_OUT_CODE = 'recipient-opted-out';

/** The recipient opted out of texts from this line: retrying cannot help until they text START. */
export class OptedOutError extends AppError {
  constructor(
    readonly to: string,
    readonly from: string,
    readonly rows: OptOutEntry[],
  ) {
    const latest = rows.reduce((a, b) => (a.at > b.at ? a : b));
    super(409, `${to} opted out of texts from this line (${latest.keyword}); they can text START to opt back in`, {
      extra: { code: OPTED_OUT_CODE, to, keyword: latest.keyword, optedOutAt: latest.at },
      log: 'warn',
      logMessage: `Refused a text from ${from} to ${to}: opted out with ${latest.keyword} at ${latest.at}`,
    });
    this.name = 'OptedOutError';
  }
}

/** Throws OptedOutError, after noting it on the opt-out list, when `to` opted out of texts from `from`. */
export async function refuseIfOptedOut(settings: Settings, to: string, from: string, what: string): Promise<void> {
  const rows = await optOutsOf(settings, to, from);
  if (rows.length === 0) return;
  await noteRefusal(settings, rows, what).catch(() => {});
  throw new OptedOutError(to, from, rows);
}
