/**
 * The flows behind the webhooks: the voice and SMS webhooks answer with the flow file, and
 * POST /api/twilio/flow/{kind} takes the callbacks its TwiML asked for. Every one is signed by
 * Twilio and recorded on the call (or message) before it is answered.
 */
import type { HttpHandler, InvocationContext } from '@azure/functions';
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';
import { twiml } from '../http/responses';
import { queuedText } from '../outbound/kinds';
import { enqueue } from '../outbound/queue';
import { recordedWebhook } from '../records/handlers';
import { recordingObservation, smsWebhookObservation, voiceWebhookObservation } from '../records/observations';
import { findRecord, saveObservation } from '../records/store';
import { twilioWebhook } from '../twilio/webhook';
import { FlowFileError, getFlows } from './load';
import { answerMessage } from './messaging';
import { DEFAULT_FLOWS, type FlowFile } from './schema';
import { MAX_SMS_LENGTH } from './text';
import { templateScope, triggerFields } from './scope';
import { openCallSession } from './session';
import { render } from './template';
import { logText } from '../http/logText';
import { own } from '../http/own';
import { flowKind, flowPlace, flowQuery } from './place';
import { answerTurnOnce } from './turns';
import { answerCall, answerCallback, stepGone, whisperTwiml, type FlowPlace } from './voice';

/** POST /api/twilio/voice: the entry of the voice flow, with the call's state when the flow keeps one. */
export const voiceFlowWebhook = recordedWebhook(async (params, context, settings) => {
  const flows = getFlows(settings);
  const started = performance.now();
  const session = await openCallSession(settings, flows, field(params, 'CallSid'), context);
  const answer = await answerCall(flows, params, settings, undefined, { ...session, context, started });
  await session.save();
  return { observation: voiceWebhookObservation(params, answer.facts), response: twiml(answer.twiml) };
});

/**
 * POST /api/twilio/sms: the messaging flow. A rule's forwards are queued before the answer (a
 * 503 when the queue is down, so Twilio delivers the text again), each keyed by the incoming
 * message and recipient, so a redelivered text forwards nothing twice.
 */
export const messageFlowWebhook = recordedWebhook(async (params, context, settings, { url }) => {
  const answer = await answerMessage(getFlows(settings), params, settings, undefined, { context });
  const observation = smsWebhookObservation(params, {
    rule: answer.rule,
    ...(answer.effects ? { effects: answer.effects } : {}),
  });
  const from = field(params, 'To') ?? settings.TWILIO_PHONE_NUMBER;
  const forwards = answer.forwards.map(({ to, body }) =>
    queuedText(`forward|${observation.sid}|${to}`, new URL(url).origin, { to, from, body }),
  );
  await enqueue(settings, forwards, storageDeadline());
  return { observation, response: twiml(answer.twiml) };
});

/**
 * The flows, or the default (the seed's greeting and reply) when the flow file is invalid, for
 * the requests that must answer anyway: the fallback URLs (Twilio asks them when the webhook
 * failed, perhaps because of the file) and a call already in progress.
 */
export function flowsOrDefault(settings: Settings, context: InvocationContext): FlowFile {
  try {
    return getFlows(settings);
  } catch (error) {
    if (!(error instanceof FlowFileError)) throw error;
    context.error(`${error.message}\nAnswered with the default flow.`);
    return DEFAULT_FLOWS;
  }
}

/** POST /api/twilio/flow/{kind}: gather, dial and record actions, redirects to a step, recordings, whispers. */
export const flowWebhook: HttpHandler = twilioWebhook(async (params, context, settings, { request, url, query }) => {
  const kind = flowKind(request);
  const place = flowPlace(kind, query);
  const flows = flowsOrDefault(settings, context);
  const started = performance.now();
  const session =
    kind === 'recording' ? undefined : await openCallSession(settings, flows, field(params, 'CallSid'), context);
  if (kind === 'whisper') return twiml(whisperTwiml(flows, place, params, settings, session?.state));
  if (kind === 'recording') {
    await recorded(settings, context, params, flows, place, new URL(url).origin);
    return { status: 204 };
  }
  const where = `${kind} at ${logText(place.step)}[${place.at ?? '-'}]`;
  let answer = await answerCallback(kind, place, flows, params, settings, { ...session, context, started });
  if (!answer) {
    context.warn(
      `Call ${logText(field(params, 'CallSid'))} asked for ${where}, which the flow file does not have (changed since the call began?); it goes back to the entry step`,
    );
    answer = stepGone(flows, place, settings, params);
  }
  const once = await answerTurnOnce(settings, context, params, place.turn!, answer, where);
  if (!once.replayed) await session?.save();
  return twiml(once.twiml);
}, flowQuery);

/**
 * A recording or its transcription: kept on the call's record, and its text to the owner put on
 * the outbound queue when the record action asks for it, all within one storage deadline. Every
 * delivery queues it again (an earlier one may have been recorded and not queued); its key, the
 * recording and the recipient, makes the queue function send it once.
 */
async function recorded(
  settings: Settings,
  context: InvocationContext,
  params: FormParams,
  flows: FlowFile,
  place: FlowPlace,
  origin: string,
): Promise<void> {
  const observation = recordingObservation(params);
  const signal = storageDeadline();
  await saveObservation(settings, observation, { signal });
  const steps = flows.voice?.steps ?? {};
  const action = place.step !== undefined ? own(steps, place.step)?.actions[place.at ?? -1] : undefined;
  const notify = action && 'record' in action ? action.record.notify : undefined;
  if (!notify) return;
  const call = await findRecord(settings, 'call', observation.sid, { signal });
  const transcribed = observation.transcription !== undefined;
  const body = transcribed
    ? `Transcription of the voicemail from ${call?.from ?? 'an unknown caller'}: ${observation.transcription}`
    : render(
        notify.text,
        templateScope('call', triggerFields(params, { From: call?.from, To: call?.to }), settings, call?.flowState),
      );
  const texts = [notify.to].flat().map((to) =>
    queuedText(`${transcribed ? 'transcription' : 'recording'}|${observation.recordingSid}|${to}`, origin, {
      to,
      from: settings.TWILIO_PHONE_NUMBER,
      body: body.slice(0, MAX_SMS_LENGTH),
    }),
  );
  await enqueue(settings, texts, signal);
  context.log(`Queued ${texts.length} text(s) about recording ${observation.recordingSid}`);
}
