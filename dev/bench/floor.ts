/**
 * The floor for `npm run bench`: the least an app on this programming model can do. It is
 * bundled like the package (dev/package.ts) and registers one function that answers every
 * request with the same TwiML: no signature check, no storage, no flow.
 */
import { app } from '@azure/functions';

const TWIML =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hey, thanks for the ping! Twilio and Azure rock!</Message></Response>';

app.http('smsWebhook', {
  methods: ['POST'],
  route: 'twilio/sms',
  authLevel: 'anonymous',
  handler: () => ({ status: 200, body: TWIML, headers: { 'Content-Type': 'text/xml; charset=utf-8' } }),
});
