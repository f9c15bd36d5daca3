export { startEmulator, type CallReport, type Emulator, type EmulatorOptions, type EmulatorScript } from './server';
export { runCallFlow, type CallFlowOptions } from './callFlow';
export {
  DIAL_OUTCOMES,
  type CallFlowResult,
  type CallScript,
  type DialOutcome,
  type TranscriptLine,
} from './callTypes';
export { runMessagingFlow } from './messagingFlow';
export { sendWebhook, type WebhookResult } from './webhook';
export { newSid, rfc2822 } from './sids';
