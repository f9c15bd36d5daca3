/** What the emulator's resources share: the account, the records, the clock and webhook delivery. */
import type { Clock } from './clock';
import type {
  EmulatedCall,
  EmulatedMessage,
  EmulatedPhoneNumber,
  EmulatedRecording,
  EmulatorCallScript,
} from './resources';
import { sendWebhook, type WebhookRequest, type WebhookResult } from '../interpreter/webhook';

export interface EmulatorScript extends EmulatorCallScript {
  /** Makes every message fail with this Twilio error code: `undelivered` (after sent) by default, or `failed`. */
  messageFailure?: { errorCode: number; status?: 'undelivered' | 'failed'; message?: string };
}

export interface EmulatorState {
  readonly accountSid: string;
  readonly authToken: string;
  /** What the console's phone authenticates with (Bearer): it opens only the routes marked `phone`. */
  readonly phoneToken: string;
  /** The emulator's own base URL, known once it listens. */
  url: string;
  script: EmulatorScript;
  /** What the callee at a number does on calls placed to it, over `script` (POST /_emulator/callees). */
  readonly callees: Map<string, EmulatorCallScript>;
  readonly maxSteps: number | undefined;
  readonly calls: Map<string, EmulatedCall>;
  readonly messages: Map<string, EmulatedMessage>;
  readonly numbers: Map<string, EmulatedPhoneNumber>;
  readonly recordings: Map<string, EmulatedRecording>;
  /** Every webhook and status callback sent, in order. */
  readonly requests: WebhookResult[];
  readonly clock: Clock;
  /** The Console Debugger's webhook: where errors the emulator meets are posted (debugger.ts). */
  debuggerUrl?: string | undefined;
  log(line: string): void;
}

/** Sends a signed webhook as Twilio does, unless the emulator is stopping, and records it. */
export async function deliver(state: EmulatorState, request: WebhookRequest): Promise<WebhookResult | undefined> {
  if (state.clock.stopped) return undefined;
  const result = await sendWebhook(state.authToken, request, state.clock.signal);
  recordRequest(state, result);
  return result;
}

export function recordRequest(state: EmulatorState, result: WebhookResult): void {
  state.requests.push(result);
  state.log(`  → ${result.method} ${result.url} ${result.status ?? result.error}`);
}

export const numberByPhone = (state: EmulatorState, phoneNumber: string) =>
  [...state.numbers.values()].find((n) => n.phoneNumber === phoneNumber);
/** With no numbers configured, any number may be used (the emulator then checks nothing). */
export const ownsNumber = (state: EmulatorState, phoneNumber: string) =>
  state.numbers.size === 0 || numberByPhone(state, phoneNumber) !== undefined;
