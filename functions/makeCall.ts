import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getSettings } from '../lib/config';
import { handle, json, readJson } from '../lib/http';
import { once } from '../lib/idempotency';
import { placedObservation } from '../lib/observations';
import { placeCall, recordCreated } from '../lib/outbound';
import { publicOrigin } from '../lib/publicUrl';
import { callRequest } from '../lib/schemas';

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

app.http('makeCall', { methods: ['POST'], route: 'calls', authLevel: 'function', handler: makeCall });
