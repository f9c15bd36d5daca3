export {
  startEmulator,
  type CallReport,
  type Emulator,
  type EmulatorOptions,
  type EmulatorScript,
} from './rest/server';
export { runCallFlow } from './interpreter/callFlow';
export {
  DIAL_OUTCOMES,
  type CallFlowOptions,
  type CallFlowResult,
  type CallScript,
  type DialOutcome,
  type TranscriptLine,
} from './interpreter/callTypes';
export { ANSWERED_BY, type AnsweredBy } from './rest/resources';
export { runMessagingFlow } from './interpreter/messagingFlow';
export { sendWebhook, type WebhookResult } from './interpreter/webhook';
export { API_VERSION, callParams, newSid, rfc2822 } from './interpreter/twilioApi';
