/**
 * Where a flow callback says it came from, read from the query of the URL whose signature was
 * checked. Each kind of callback takes the names our TwiML writes for it (voice.ts) and no
 * other; a number is one our TwiML could have written, or the request is refused naming it.
 */
import type { HttpRequest } from '@azure/functions';
import { BadRequestError, NotFoundError } from '../errors';
import { own } from '../http/own';
import { queryOf, type QueryRule } from '../twilio/query';
import type { FlowKind, FlowPlace } from './voice';

type Counter = 'at' | 'turn' | 'try' | 'leg';

/** The query each callback's URL carries, as callbackPath writes it. */
const FLOW_QUERIES: Record<FlowKind, readonly ('step' | Counter)[]> = {
  step: ['step', 'turn'],
  gather: ['step', 'at', 'try', 'turn'],
  dial: ['step', 'at', 'leg', 'turn'],
  record: ['step', 'at', 'turn'],
  recording: ['step', 'at'],
  whisper: ['step', 'at'],
};

/** The least value our TwiML writes: the first turn after the answer to the call is 1, and so is the first try. */
const LEAST: Record<Counter, number> = { at: 0, leg: 0, turn: 1, try: 1 };

/** The query rule of /api/twilio/flow/{kind}; an unknown kind is a 404. */
export function flowQuery(request: HttpRequest): QueryRule {
  const names = own(FLOW_QUERIES, request.params.kind ?? '');
  if (!names) throw new NotFoundError(`No flow callback ${JSON.stringify(request.params.kind ?? '')}`);
  return queryOf(names);
}

export const flowKind = (request: HttpRequest): FlowKind => request.params.kind as FlowKind;

/** The place a callback names: every name its kind takes, numbers as our TwiML writes them (no sign, exponent or leading zero). */
export function flowPlace(kind: FlowKind, query: ReadonlyMap<string, string>): FlowPlace {
  const place: FlowPlace = {};
  for (const name of FLOW_QUERIES[kind]) {
    const value = query.get(name);
    if (value === undefined)
      throw new BadRequestError(400, 'Invalid flow callback', [{ field: name, message: 'is missing' }]);
    if (name === 'step') {
      place.step = value;
      continue;
    }
    if (!/^(0|[1-9]\d{0,5})$/.test(value) || Number(value) < LEAST[name])
      throw new BadRequestError(400, 'Invalid flow callback', [
        { field: name, message: `must be a whole number from ${LEAST[name]} to 999999, as the app writes it` },
      ]);
    place[name] = Number(value);
  }
  return place;
}
