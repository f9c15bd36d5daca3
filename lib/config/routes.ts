import host from '../../host.json';

/**
 * Every HTTP route of the app, declared once: each function file registers its route from
 * here, callback URLs are built from here, and a test checks the Bicep outputs against it.
 * The prefix (`api`) is host.json's; a route here is relative to it.
 */
export const ROUTES = {
  makeCall: 'calls',
  listCalls: 'calls',
  getCall: 'calls/{sid}',
  sendSms: 'messages',
  listMessages: 'messages',
  getMessage: 'messages/{sid}',
  voiceWebhook: 'twilio/voice',
  voiceFallback: 'twilio/voice/fallback',
  smsWebhook: 'twilio/sms',
  smsFallback: 'twilio/sms/fallback',
  statusCallback: 'twilio/status',
  flowWebhook: 'twilio/flow/{kind}',
  getCallTranscript: 'calls/{sid}/transcript',
  createCampaign: 'campaigns',
  getCampaign: 'campaigns/{id}',
  addCampaignRecipients: 'campaigns/{id}/recipients',
  listCampaignRecipients: 'campaigns/{id}/recipients',
  cancelCampaign: 'campaigns/{id}/cancel',
  listOptOuts: 'opt-outs',
  health: 'health',
  eraseNumberData: 'numbers/{e164}/data',
  twilioDebugger: 'twilio/debugger',
  getCallRecording: 'calls/{sid}/recordings/{recordingSid}',
  getFlowGraph: 'flows/graph',
  console: 'console',
  getConversation: 'conversations/{id}',
} as const;

export type RouteName = keyof typeof ROUTES;

export const ROUTE_PREFIX: string = host.extensions.http.routePrefix;

/** `/api/twilio/voice` for `voiceWebhook`. */
export const routePath = (name: RouteName): string => `/${ROUTE_PREFIX}/${ROUTES[name]}`;

/** The absolute URL of a route at an origin, e.g. the status callback Twilio is given. */
export const routeUrl = (origin: string, name: RouteName): string => `${origin}${routePath(name)}`;
