import { app } from '@azure/functions';
import { recordLister } from '../lib/records/handlers';
import { ROUTES } from '../lib/config/routes';

/** GET /api/messages: recorded messages, newest first (?number, ?direction, ?limit, ?cursor). */
export const listMessages = recordLister('message');

app.http('listMessages', {
  methods: ['GET'],
  route: ROUTES.listMessages,
  authLevel: 'function',
  handler: listMessages,
});
