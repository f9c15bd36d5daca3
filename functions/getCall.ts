import { app } from '@azure/functions';
import { recordReader } from '../lib/records/handlers';
import { callSid } from '../lib/http/schemas';

/** GET /api/calls/{sid}: a call's record and status history. */
export const getCall = recordReader('call', callSid);

app.http('getCall', { methods: ['GET'], route: 'calls/{sid}', authLevel: 'function', handler: getCall });
