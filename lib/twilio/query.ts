/**
 * The query string of a signed request, read from exactly the URL whose signature is checked.
 * Nothing else may decide what a request acts on: HttpRequest.query is the host's reading of
 * the URL (the local host keeps the last copy of a repeated name, HttpRequest the first, and
 * the SDK's own check also accepts the URL cut to its first 1,000 parameters). So a signed
 * route refuses a query it could not have been given: a repeated name, a name it does not
 * take, more parameters than it takes, an empty one (a stray `&`), or a fragment.
 */
import { BadRequestError } from '../errors';

export interface QueryRule {
  /** The names the route takes, or `any` for the owner's own query on a URL set in Twilio's console. */
  names: readonly string[] | 'any';
  max: number;
}

/** Exactly these names, each at most once: the query our own TwiML writes. */
export const queryOf = (names: readonly string[]): QueryRule => ({ names, max: names.length });

/**
 * The URLs set in Twilio's console (voice, SMS, status, fallbacks) may carry the owner's own
 * query (`?tenant=7`): the app reads nothing from it, so any names pass, a few and once each.
 */
export const OWNER_QUERY: QueryRule = { names: 'any', max: 10 };

const invalid = (message: string, field = '(query)') =>
  new BadRequestError(400, 'Invalid query string', [{ field, message }]);

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw invalid(`has a malformed percent-encoding: ${JSON.stringify(text.slice(0, 100))}`);
  }
}

/** The query of `url` (as checked), one value per name, or a 400 naming what no signed URL of ours has. */
export function signedQuery(url: string, rule: QueryRule): ReadonlyMap<string, string> {
  const start = url.search(/[?#]/);
  const tail = start < 0 ? '' : url.slice(start);
  if (tail.includes('#')) throw invalid('has a fragment (#…), which Twilio never sends');
  const query = new Map<string, string>();
  if (tail.length <= 1) return query;
  const pairs = tail.slice(1).split('&');
  for (const pair of pairs) {
    if (pair === '') throw invalid('has an empty query parameter (a stray &)');
    const equals = pair.indexOf('=');
    const name = decoded(equals < 0 ? pair : pair.slice(0, equals));
    const value = decoded(equals < 0 ? '' : pair.slice(equals + 1));
    if (rule.names !== 'any' && !rule.names.includes(name))
      throw invalid('is not a query parameter this route takes', name.slice(0, 100));
    if (query.has(name)) throw invalid('appears more than once', name.slice(0, 100));
    if (query.size === rule.max) throw invalid(`has ${pairs.length} parameters; this route takes at most ${rule.max}`);
    query.set(name, value);
  }
  return query;
}
