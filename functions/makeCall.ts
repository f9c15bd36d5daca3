import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { callRequest } from '../lib/outbound/schemas';
import { json } from '../lib/http/responses';
import { logText } from '../lib/http/logText';
import { createOnce } from '../lib/outbound/handler';
import { recordCreated, placeCall } from '../lib/outbound/rest';
import { placedObservation } from '../lib/records/observations';
import { getFlows } from '../lib/flows/load';
import { placedCallUrl } from '../lib/flows/placedCall';
import { keepPlacedCallVariables } from '../lib/outbound/placedCallVariables';

/** POST /api/calls: places an outgoing call (the seed's /make_call), optionally into a flow's step; an Idempotency-Key makes retries safe. */
export const makeCall = createOnce('calls', callRequest, async (settings, origin, body, context) => {
  const answerUrl = body.flow ? placedCallUrl(getFlows(settings), origin, body.flow) : undefined;
  const call = await placeCall(settings, origin, body, answerUrl);
  context.log(`Placed call ${call.sid} to ${logText(call.to)}`);
  await keepPlacedCallVariables(settings, call.sid, body.flow, context);
  await recordCreated(settings, context, placedObservation('call', call));
  return json(201, call);
});

app.http('makeCall', { methods: ['POST'], route: ROUTES.makeCall, authLevel: 'function', handler: makeCall });
