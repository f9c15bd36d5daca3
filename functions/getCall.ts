import { app } from '@azure/functions';
import { recordReader } from '../lib/records/handlers';
import { callSid } from '../lib/twilio/ids';
import { ROUTES } from '../lib/config/routes';

/** GET /api/calls/{sid}: a call's record and status history. */
export const getCall = recordReader('call', callSid);

app.http('getCall', { methods: ['GET'], route: ROUTES.getCall, authLevel: 'function', handler: getCall });
