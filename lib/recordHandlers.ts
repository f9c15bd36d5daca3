import type { HttpHandler, HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { getSettings } from './config';
import { badRequest, handle, json, notFound, zodProblems } from './http';
import { findRecord, listRecords } from './records';
import type { Kind } from './recordStatus';
import { listQuery } from './schemas';

/** GET /api/{calls|messages}/{sid}: the record with its status history. */
export function recordReader(kind: Kind, sidSchema: z.ZodType<string, string>): HttpHandler {
  return handle(async (request: HttpRequest) => {
    const sid = sidSchema.safeParse(request.params.sid ?? '');
    if (!sid.success) return badRequest('Invalid SID', zodProblems(sid.error).map((p) => ({ ...p, field: 'sid' })));
    const record = await findRecord(getSettings(), kind, sid.data);
    return record ? json(200, record) : notFound(`No ${kind} ${sid.data} is recorded`);
  });
}

/** GET /api/{calls|messages}: newest first, filtered by number and direction, a page at a time. */
export function recordLister(kind: Kind): HttpHandler {
  return handle(async (request: HttpRequest) => {
    const query = listQuery.safeParse(Object.fromEntries(request.query));
    if (!query.success) return badRequest('Invalid query', zodProblems(query.error));
    return json(200, await listRecords(getSettings(), kind, query.data));
  });
}
