import { app } from '@azure/functions';
import { recordLister } from '../lib/records/handlers';
import { ROUTES } from '../lib/config/routes';

/** GET /api/calls: recorded calls, newest first (?number, ?direction, ?limit, ?cursor). */
export const listCalls = recordLister('call');

app.http('listCalls', { methods: ['GET'], route: ROUTES.listCalls, authLevel: 'function', handler: listCalls });
