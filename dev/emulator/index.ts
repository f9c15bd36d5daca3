export { startEmulator, type CallReport, type Emulator, type EmulatorOptions, type EmulatorScript } from './server';
export { CallControl, DEFAULT_MAX_STEPS, runCallFlow, type CallFlowOptions } from './callFlow';
export {
  DIAL_OUTCOMES,
  type CallFlowResult,
  type CallScript,
  type DialOutcome,
  type FinalCallStatus,
  type RecordingMade,
  type TranscriptLine,
} from './callTypes';
export { runMessagingFlow, type MessagingFlowResult, type SmsReply } from './messagingFlow';
export { sendWebhook, type WebhookResult } from './webhook';
export type { EmulatedCall, EmulatedMessage, EmulatedPhoneNumber, EmulatedRecording } from './resources';
export { localAccount, newSid, rfc2822 } from './sids';
