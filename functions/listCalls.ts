import { app } from '@azure/functions';
import { recordLister } from '../lib/records/handlers';

/** GET /api/calls: recorded calls, newest first (?number, ?direction, ?limit, ?cursor). */
export const listCalls = recordLister('call');

app.http('listCalls', { methods: ['GET'], route: 'calls', authLevel: 'function', handler: listCalls });
