import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getSettings } from '../lib/config/settings';
import { handle } from '../lib/http/handle';
import { readJson } from '../lib/http/requests';
import { json } from '../lib/http/responses';
import { once } from '../lib/outbound/idempotency';
import { placedObservation } from '../lib/records/observations';
import { placeCall, recordCreated } from '../lib/outbound/rest';
import { publicOrigin } from '../lib/http/publicUrl';
import { callRequest } from '../lib/http/schemas';
import { ROUTES } from '../lib/config/routes';

/** POST /api/calls: places an outgoing call (the seed's /make_call); an Idempotency-Key makes retries safe. */
export const makeCall = handle(async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
  const settings = getSettings();
  const body = await readJson(request, callRequest);
  return once(settings, context, request, 'calls', body, async () => {
    const call = await placeCall(settings, publicOrigin(request, settings), body);
    context.log(`Placed call ${call.sid} to ${call.to}`);
    await recordCreated(settings, context, placedObservation('call', call));
    return json(201, call);
  });
});

app.http('makeCall', { methods: ['POST'], route: ROUTES.makeCall, authLevel: 'function', handler: makeCall });
