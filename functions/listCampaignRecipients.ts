import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { listCampaignRecipients as handler } from '../lib/campaigns/handlers';

/** GET /api/campaigns/{id}/recipients: each recipient's outcome (?limit, ?cursor). */
export const listCampaignRecipients = handler;

app.http('listCampaignRecipients', {
  methods: ['GET'],
  route: ROUTES.listCampaignRecipients,
  authLevel: 'function',
  handler,
});
