/**
 * The Console Debugger's webhook, as Twilio posts it ("Debugging Events Webhook"): when a call
 * meets an error (11200 HTTP retrieval failure, 11205, 12100 document parse failure, 12300…),
 * a signed form POST with Sid, AccountSid, Timestamp, Level, PayloadType and Payload (JSON:
 * resource_sid, error_code, more_info, webhook.request and webhook.response). Twilio's URL is
 * set in its console; the emulator's by POST /_emulator/debugger (tools.ts).
 */
import type { CallFailure } from '../interpreter/callTypes';
import { newSid } from '../interpreter/twilioApi';
import { deliver, type EmulatorState } from './state';

export function postDebuggerEvent(
  state: EmulatorState,
  resourceSid: string,
  failure: CallFailure,
  parameters: Record<string, string>,
): void {
  const url = state.debuggerUrl;
  if (!url) return;
  const payload = {
    resource_sid: resourceSid,
    service_sid: null,
    error_code: String(failure.code),
    more_info: { Msg: failure.message, ...(failure.url ? { sourceComponent: '12000', url: failure.url } : {}) },
    webhook: {
      type: 'application/json',
      request: { url: failure.url ?? '', method: 'POST', parameters },
      response: { status_code: failure.status ?? null, body: null },
    },
  };
  const params = {
    Sid: newSid('NO'),
    AccountSid: state.accountSid,
    Timestamp: new Date().toISOString(),
    Level: 'Error',
    PayloadType: 'application/json',
    Payload: JSON.stringify(payload),
  };
  void deliver(state, { url, params }).catch((error: unknown) =>
    state.log(`debugger event for ${resourceSid}: ${error instanceof Error ? error.message : String(error)}`),
  );
}
