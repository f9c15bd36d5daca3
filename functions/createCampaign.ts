import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { createCampaign as handler } from '../lib/campaigns/handlers';

/** POST /api/campaigns: texts to up to 10,000 recipients per request, sent from a queue at the sender's rate (docs/campaigns.md). */
export const createCampaign = handler;

app.http('createCampaign', { methods: ['POST'], route: ROUTES.createCampaign, authLevel: 'function', handler });
