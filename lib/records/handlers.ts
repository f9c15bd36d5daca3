import type { HttpHandler, HttpRequest, HttpResponseInit } from '@azure/functions';
import type * as z from 'zod';
import { beforeDeadline } from '../config/deadlines';
import { getSettings } from '../config/settings';
import { BadRequestError, NotFoundError } from '../errors';
import { handle } from '../http/handle';
import { zodProblems } from '../http/requests';
import { json } from '../http/responses';
import { phoneNumber } from '../twilio/ids';
import { twilioWebhook, type WebhookHandler } from '../twilio/webhook';
import { eraseNumber } from './erasure';
import { StoreUnavailableError } from './tables';
import { listQuery, listRecords } from './listing';
import type { Observation } from './model';
import type { Kind } from './status';
import { listOptOuts, optOutQuery } from './optOuts';
import { findRecord, saveObservation, shownRecord, type FoundRecord } from './store';

/** GET /api/{calls|messages}/{sid}: the record with its status history (as JSON, unless `respond` says otherwise). */
export function recordReader(
  kind: Kind,
  sidSchema: z.ZodType<string, string>,
  respond: (record: FoundRecord) => HttpResponseInit = (record) => json(200, shownRecord(record)),
): HttpHandler {
  return handle(async (request: HttpRequest) => {
    const sid = sidSchema.safeParse(request.params.sid ?? '');
    if (!sid.success)
      throw new BadRequestError(
        400,
        'Invalid SID',
        zodProblems(sid.error).map((p) => ({ ...p, field: 'sid' })),
      );
    const record = await findRecord(getSettings(), kind, sid.data);
    if (!record) throw new NotFoundError(`No ${kind} ${sid.data} is recorded`);
    return respond(record);
  });
}

/** GET /api/{calls|messages}: newest first, filtered by number and direction, a page at a time. */
export function recordLister(kind: Kind): HttpHandler {
  return handle(async (request: HttpRequest) => {
    const query = listQuery.safeParse(Object.fromEntries(request.query));
    if (!query.success) throw new BadRequestError(400, 'Invalid query', zodProblems(query.error));
    return json(200, await listRecords(getSettings(), kind, query.data));
  });
}

/** GET /api/opt-outs: the line's opt-out list, a page at a time (?number, ?status, ?limit, ?cursor). */
export const optOutLister: HttpHandler = handle(async (request: HttpRequest) => {
  const query = optOutQuery.safeParse(Object.fromEntries(request.query));
  if (!query.success) throw new BadRequestError(400, 'Invalid query', zodProblems(query.error));
  return json(200, await listOptOuts(getSettings(), query.data));
});

/** What a recorded webhook answers, and what it records first. */
export interface RecordedAnswer {
  observation: Observation;
  response: HttpResponseInit;
  /**
   * The storage deadline the answer's own storage work ran under: the record shares it, so a
   * webhook's storage costs it one deadline in all, never one per step (Twilio allows 15 s).
   */
  signal?: AbortSignal;
  /** What follows from it once recorded (a campaign recipient delivered); a failure is a 503, and Twilio delivers it again. */
  after?: () => Promise<void>;
}

/**
 * A signature-checked Twilio request that is recorded before it is answered: a 2xx always
 * means recorded; when storage fails the answer is 503 and Twilio may deliver it again.
 */
export function recordedWebhook(
  answer: (...args: Parameters<WebhookHandler>) => RecordedAnswer | Promise<RecordedAnswer>,
): HttpHandler {
  return twilioWebhook(async (params, context, settings, request) => {
    const { observation, response, signal, after } = await answer(params, context, settings, request);
    await saveObservation(settings, observation, signal ? { signal } : {});
    if (after)
      await (signal ? beforeDeadline(after(), signal, () => new StoreUnavailableError(signal.reason)) : after());
    return response;
  });
}

/** DELETE /api/numbers/{e164}/data: erases what involves the number (erasure.ts) and answers what was erased. */
export const numberEraser: HttpHandler = handle(async (request, context) => {
  const number = phoneNumber.safeParse(request.params.e164 ?? '');
  if (!number.success)
    throw new BadRequestError(400, 'Invalid number', [
      { field: 'e164', message: 'must be a phone number in E.164, e.g. +15550100000' },
    ]);
  const erasure = await eraseNumber(getSettings(), number.data, context.invocationId);
  context.log(`Erased the data of a number on request ${erasure.request}: ${JSON.stringify(erasure.erased)}`);
  return json(200, erasure);
});
