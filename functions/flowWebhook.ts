import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { flowWebhook as handler } from '../lib/flows/handlers';

/** POST /api/twilio/flow/{kind}: the callbacks the voice flow's TwiML asks for (gather, dial, record, step, recording, whisper). */
export const flowWebhook = handler;

app.http('flowWebhook', { methods: ['POST'], route: ROUTES.flowWebhook, authLevel: 'anonymous', handler: flowWebhook });
