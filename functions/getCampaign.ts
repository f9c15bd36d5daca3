import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { getCampaign as handler } from '../lib/campaigns/handlers';

/** GET /api/campaigns/{id}: counts of recipients by state, and the rate achieved. */
export const getCampaign = handler;

app.http('getCampaign', { methods: ['GET'], route: ROUTES.getCampaign, authLevel: 'function', handler });
