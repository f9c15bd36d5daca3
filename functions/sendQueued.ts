import { app } from '@azure/functions';
import { QUEUE_CONNECTION, QUEUES } from '../lib/config/queues';
import { sendQueued as handler } from '../lib/outbound/sendQueued';

/** The outbound queue: texts the app sends on its own (voicemail alerts, transcriptions, rule forwards), each sent once. */
export const sendQueued = handler;

app.storageQueue('sendQueued', { queueName: QUEUES.outbound, connection: QUEUE_CONNECTION, handler: sendQueued });
