import { app } from '@azure/functions';
import { recordLister } from '../lib/records/handlers';

/** GET /api/messages: recorded messages, newest first (?number, ?direction, ?limit, ?cursor). */
export const listMessages = recordLister('message');

app.http('listMessages', { methods: ['GET'], route: 'messages', authLevel: 'function', handler: listMessages });
