import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { callTranscript } from '../lib/flows/transcript';
import { callSid } from '../lib/twilio/ids';
import { recordReader } from '../lib/records/handlers';

/** GET /api/calls/{sid}/transcript: the call's path through the flow, as text. */
export const getCallTranscript = recordReader('call', callSid, (record) => ({
  status: 200,
  body: callTranscript(record),
  headers: { 'Content-Type': 'text/plain; charset=utf-8' },
}));

app.http('getCallTranscript', {
  methods: ['GET'],
  route: ROUTES.getCallTranscript,
  authLevel: 'function',
  handler: getCallTranscript,
});
