import { app } from '@azure/functions';
import { QUEUE_CONNECTION, QUEUES } from '../lib/config/queues';
import { sendCampaign as handler } from '../lib/campaigns/run';

/** The campaigns queue: one message per recipient, sent once, in its window, at the sender's rate. */
export const sendCampaign = handler;

app.storageQueue('sendCampaign', { queueName: QUEUES.campaigns, connection: QUEUE_CONNECTION, handler });
