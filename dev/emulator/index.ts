export { startEmulator, type CallReport, type Emulator, type EmulatorOptions, type EmulatorScript } from './server';
export {
  DEFAULT_MAX_STEPS,
  DIAL_OUTCOMES,
  runCallFlow,
  type CallFlowOptions,
  type CallFlowResult,
  type CallScript,
  type DialOutcome,
  type FinalCallStatus,
  type TranscriptLine,
} from './callFlow';
export { runMessagingFlow, type MessagingFlowResult, type SmsReply } from './messagingFlow';
export { sendWebhook, type WebhookResult } from './webhook';
export type { EmulatedCall, EmulatedMessage, EmulatedPhoneNumber } from './resources';
export { localAccount, newSid, rfc2822 } from './sids';
