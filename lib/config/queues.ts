import host from '../../host.json';

/**
 * Every storage queue of the app, declared once: the queue-triggered function registers its
 * queue from here, senders enqueue to it, health counts its poison queue, and a test checks
 * the Bicep declares each one with its poison queue.
 */
export const QUEUES = {
  /** Texts the app sends on its own (voicemail alerts, transcriptions, rule forwards), sent by sendQueued. */
  outbound: 'twilio-outbound',
  /** One message per campaign recipient, sent by sendCampaign at the sender's rate (lib/campaigns). */
  campaigns: 'twilio-campaigns',
} as const;

export type QueueName = keyof typeof QUEUES;

/** Where the Functions host moves a message whose every try failed (host.json maxDequeueCount). */
export const poisonQueue = (queue: string): string => `${queue}-poison`;

/** host.json's queue options, which the Functions host and the local host both obey. */
export const QUEUE_OPTIONS = host.extensions.queues;

/** The connection setting the queue triggers use: `AzureWebJobsStorage` (or its `__queueServiceUri` form). */
export const QUEUE_CONNECTION = 'AzureWebJobsStorage';
