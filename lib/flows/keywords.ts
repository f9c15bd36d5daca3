/**
 * Keywords that carriers and Twilio answer themselves (opt-out, opt-in, help): the flow never
 * replies to them, and a flow may not make them its own keywords. Twilio's defaults, matched
 * as Twilio does: the whole message, case and surrounding spaces and punctuation ignored.
 * https://help.twilio.com/articles/223134027
 */
import { own } from '../http/own';

export const CARRIER_KEYWORDS: Record<string, 'opt-out' | 'opt-in' | 'help'> = {
  STOP: 'opt-out',
  STOPALL: 'opt-out',
  'STOP ALL': 'opt-out',
  UNSUBSCRIBE: 'opt-out',
  CANCEL: 'opt-out',
  END: 'opt-out',
  QUIT: 'opt-out',
  OPTOUT: 'opt-out',
  REVOKE: 'opt-out',
  START: 'opt-in',
  YES: 'opt-in',
  UNSTOP: 'opt-in',
  HELP: 'help',
  INFO: 'help',
};

export const normalizedKeyword = (text: string): string =>
  text
    .trim()
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '')
    .replace(/\s+/g, ' ')
    .toUpperCase();

/** The carrier keyword a message is, if it is one. */
export function carrierKeyword(body: string): { keyword: string; kind: 'opt-out' | 'opt-in' | 'help' } | undefined {
  const keyword = normalizedKeyword(body);
  const kind = own(CARRIER_KEYWORDS, keyword);
  return kind ? { keyword, kind } : undefined;
}
