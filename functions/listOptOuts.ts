import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { optOutLister } from '../lib/records/handlers';

/** GET /api/opt-outs: the numbers that texted STOP (or opted back in), with the keyword and time. */
export const listOptOuts = optOutLister;

app.http('listOptOuts', { methods: ['GET'], route: ROUTES.listOptOuts, authLevel: 'function', handler: listOptOuts });
