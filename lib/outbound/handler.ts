import type { HttpHandler, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as z from 'zod';
import { getSettings, type Settings } from '../config/settings';
import { handle } from '../http/handle';
import { publicOrigin } from '../http/publicUrl';
import { readJson } from '../http/requests';
import { once } from './idempotency';

export type Create<Body> = (
  settings: Settings,
  origin: string,
  body: Body,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

/**
 * A POST of our API that makes something at Twilio: the JSON body is validated by `schema`,
 * and an Idempotency-Key makes the creation happen once however often it is retried.
 */
export function createOnce<Schema extends z.ZodType>(
  scope: string,
  schema: Schema,
  create: Create<z.output<Schema>>,
  maxBytes?: number,
): HttpHandler {
  return handle(async (request, context) => {
    const settings = getSettings();
    const body = await readJson(request, schema, maxBytes);
    return once(settings, context, request, scope, body, () =>
      create(settings, publicOrigin(request, settings), body, context),
    );
  });
}
