import type { InvocationContext } from '@azure/functions';
import { routePath, routeUrl } from '../config/routes';
import type { Settings } from '../config/settings';
import type { Observation, Placed } from '../records/model';
import { saveObservation } from '../records/store';
import { StoreRefusedError, StoreUnavailableError } from '../records/tables';
import { refuseIfOptedOut } from './optOut';
import type { CallRequest, MachineDetection, MessageRequest } from './schemas';
import { callTwilio, getTwilioClient } from '../twilio/client';
import { sayTwiml } from '../twilio/twiml';

/** The call progress Twilio reports to our statusCallback, so the record follows the call. */
const CALL_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

/** Where a caller finds a call or message whose creation got no answer: its status callbacks record it there. */
const lookup = (listing: 'listCalls' | 'listMessages', to: string) =>
  `GET ${routePath(listing)}?number=${encodeURIComponent(to)}&direction=outbound`;

/**
 * Places a call. Without say, twiml or url the call is answered by our own voiceWebhook,
 * so the callee hears the configured greeting, as in the seed. Its progress comes back to
 * our statusCallback.
 */
export async function placeCall(
  settings: Settings,
  origin: string,
  request: CallRequest,
  /** Where the call is answered instead of the voice webhook (a flow's step). */
  answerUrl?: string,
): Promise<Placed> {
  const client = await getTwilioClient(settings);
  const answer = request.twiml
    ? { twiml: request.twiml }
    : request.say
      ? { twiml: sayTwiml(request.say) }
      : { url: request.url ?? answerUrl ?? routeUrl(origin, 'voiceWebhook'), method: 'POST' as const };
  const call = await callTwilio(
    () =>
      client.calls.create({
        to: request.to,
        from: request.from ?? settings.TWILIO_PHONE_NUMBER,
        ...answer,
        ...detectionParams(request.machineDetection),
        statusCallback: routeUrl(origin, 'statusCallback'),
        statusCallbackMethod: 'POST',
        statusCallbackEvent: CALL_EVENTS,
      }),
    lookup('listCalls', request.to),
  );
  return { sid: call.sid, status: call.status, to: call.to, from: call.from };
}

/** Sends a text, unless its recipient is on the opt-out list (OptedOutError, before Twilio is asked). */
/** Answering machine detection as the SDK names it; the flow's `voice.machine` step takes what a machine answers. */
function detectionParams(detection: MachineDetection | undefined) {
  if (!detection) return {};
  const { mode, timeout, speechThreshold, speechEndThreshold, silenceTimeout } = { ...detection } as MachineDetection &
    Record<string, number | undefined>;
  return {
    machineDetection: mode,
    ...(timeout !== undefined ? { machineDetectionTimeout: timeout } : {}),
    ...(speechThreshold !== undefined ? { machineDetectionSpeechThreshold: speechThreshold } : {}),
    ...(speechEndThreshold !== undefined ? { machineDetectionSpeechEndThreshold: speechEndThreshold } : {}),
    ...(silenceTimeout !== undefined ? { machineDetectionSilenceTimeout: silenceTimeout } : {}),
  };
}

export async function sendMessage(
  settings: Settings,
  origin: string,
  request: MessageRequest & { messagingServiceSid?: string | undefined },
  what = 'POST /api/messages',
): Promise<Placed> {
  const from = request.from ?? settings.TWILIO_PHONE_NUMBER;
  await refuseIfOptedOut(settings, request.to, from, `${what}: ${request.body.slice(0, 100)}`);
  const client = await getTwilioClient(settings);
  const message = await callTwilio(
    () =>
      client.messages.create({
        to: request.to,
        ...(request.messagingServiceSid ? { messagingServiceSid: request.messagingServiceSid } : { from }),
        body: request.body,
        ...(request.mediaUrl ? { mediaUrl: request.mediaUrl } : {}),
        statusCallback: routeUrl(origin, 'statusCallback'),
      }),
    lookup('listMessages', request.to),
  );
  return { sid: message.sid, status: message.status, to: message.to, from: message.from };
}

/**
 * Records a call or message our API created. Twilio has already acted, so a storage failure
 * must not turn into an error that makes the caller try again (a second call): it is logged,
 * and the record is made by the status callbacks that follow, which carry the same fields.
 */
export async function recordCreated(
  settings: Settings,
  context: InvocationContext,
  observation: Observation,
): Promise<void> {
  try {
    await saveObservation(settings, observation);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError || error instanceof StoreRefusedError)) throw error;
    context.warn(
      `${observation.sid} was created but not recorded yet (${error.message}); its status callbacks will record it`,
    );
  }
}
