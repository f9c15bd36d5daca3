import { app } from '@azure/functions';
import { recordReader } from '../lib/records/handlers';
import { messageSid } from '../lib/http/schemas';

/** GET /api/messages/{sid}: a message's record and status history. */
export const getMessage = recordReader('message', messageSid);

app.http('getMessage', { methods: ['GET'], route: 'messages/{sid}', authLevel: 'function', handler: getMessage });
