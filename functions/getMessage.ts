import { app } from '@azure/functions';
import { recordReader } from '../lib/records/handlers';
import { messageSid } from '../lib/twilio/ids';
import { ROUTES } from '../lib/config/routes';

/** GET /api/messages/{sid}: a message's record and status history. */
export const getMessage = recordReader('message', messageSid);

app.http('getMessage', { methods: ['GET'], route: ROUTES.getMessage, authLevel: 'function', handler: getMessage });
