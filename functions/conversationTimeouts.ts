import { app, type InvocationContext } from '@azure/functions';
import { now } from '../lib/config/clock';
import { getSettings } from '../lib/config/settings';

/** Every minute: text conversations whose question got no reply in time take their noReply step. */
export const conversationTimeouts = async (_timer: unknown, context: InvocationContext) => {
  const { moveDueConversations } = await import('../lib/flows/converse.js');
  await moveDueConversations(getSettings(), context, now());
};

app.timer('conversationTimeouts', { schedule: '0 * * * * *', handler: conversationTimeouts });
