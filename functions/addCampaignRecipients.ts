import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { addCampaignRecipients as handler } from '../lib/campaigns/handlers';

/** POST /api/campaigns/{id}/recipients: more recipients for a campaign. */
export const addCampaignRecipients = handler;

app.http('addCampaignRecipients', {
  methods: ['POST'],
  route: ROUTES.addCampaignRecipients,
  authLevel: 'function',
  handler,
});
