import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { cancelCampaign as handler } from '../lib/campaigns/handlers';

/** POST /api/campaigns/{id}/cancel: stops what has not been sent. */
export const cancelCampaign = handler;

app.http('cancelCampaign', { methods: ['POST'], route: ROUTES.cancelCampaign, authLevel: 'function', handler });
