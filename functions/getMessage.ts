import { app } from '@azure/functions';
import { recordReader } from '../lib/recordHandlers';
import { messageSid } from '../lib/schemas';

/** GET /api/messages/{sid}: a message's record and status history. */
export const getMessage = recordReader('message', messageSid);

app.http('getMessage', { methods: ['GET'], route: 'messages/{sid}', authLevel: 'function', handler: getMessage });
