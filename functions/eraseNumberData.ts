import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { numberEraser } from '../lib/records/handlers';

/** DELETE /api/numbers/{e164}/data: erases every record, event, listing row and recording that involves the number. */
export const eraseNumberData = numberEraser;

app.http('eraseNumberData', {
  methods: ['DELETE'],
  route: ROUTES.eraseNumberData,
  authLevel: 'function',
  handler: eraseNumberData,
});
