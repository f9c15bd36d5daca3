import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { loadedOnUse } from '../lib/http/handle';

/** GET /api/conversations/{id}: a text conversation, its variables and its whole path. */
app.http('getConversation', {
  methods: ['GET'],
  route: ROUTES.getConversation,
  authLevel: 'function',
  handler: loadedOnUse(async () => (await import('../lib/flows/conversationApi.js')).conversationReader),
});
