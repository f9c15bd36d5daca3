import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { debuggerWebhook } from '../lib/records/debugger';

/** POST /api/twilio/debugger: Twilio's debugger events (11200, 12100…), logged as errors and recorded on their call or message. */
export const twilioDebugger = debuggerWebhook;

app.http('twilioDebugger', {
  methods: ['POST'],
  route: ROUTES.twilioDebugger,
  authLevel: 'anonymous',
  handler: twilioDebugger,
});
