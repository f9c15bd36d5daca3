/**
 * The flows behind the webhooks: the voice and SMS webhooks answer with the flow file, and
 * POST /api/twilio/flow/{kind} takes the callbacks its TwiML asked for. Every one is signed by
 * Twilio and recorded on the call (or message) before it is answered.
 */
import { createHash } from 'node:crypto';
import type { HttpHandler, InvocationContext } from '@azure/functions';
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';
import { twiml } from '../http/responses';
import { queuedText, type QueuedMessage } from '../outbound/kinds';
import { enqueue, QueueUnavailableError } from '../outbound/queue';
import { recordedWebhook } from '../records/handlers';
import { recordingObservation, smsWebhookObservation, voiceWebhookObservation } from '../records/observations';
import { findRecord, saveObservation } from '../records/store';
import { twilioWebhook } from '../twilio/webhook';
import { FlowFileError, getFlows } from './load';
import { now } from '../config/clock';
import MessagingResponse from 'twilio/lib/twiml/MessagingResponse';
import { carrierKeyword } from './keywords';
import { answerMessage, type MessageAnswer } from './messaging';
import { optOutsOf, replyOptOutsOf, saveOptOut } from '../records/optOuts';
import { DEFAULT_FLOWS, type FlowFile } from './schema';
import { MAX_SMS_LENGTH } from './text';
import { templateScope, triggerFields } from './scope';
import { openCallSession } from './session';
import { render } from './template';
import { logText } from '../http/logText';
import { own } from '../http/own';
import { flowKind, flowPlace, flowQuery } from './place';
import { answerTurnOnce } from './turns';
import { answerCall, answerCallback, stepGone, whisperTwiml, type CallText, type FlowPlace } from './voice';

/** POST /api/twilio/voice: the entry of the voice flow, with the call's state when the flow keeps one; its texts are queued. */
export const voiceFlowWebhook = recordedWebhook(async (params, context, settings, { url }) => {
  const flows = getFlows(settings);
  const started = performance.now();
  const outbox: CallText[] = [];
  const session = await openCallSession(settings, flows, field(params, 'CallSid'), context, { entry: true });
  const answer = await answerCall(flows, params, settings, now(), { ...session, context, started, outbox });
  await session.save();
  const texts = callTexts(context, params, outbox, url);
  const signal = storageDeadline();
  await enqueue(settings, texts, signal);
  return {
    observation: voiceWebhookObservation(params, { ...answer.facts, ...textFacts(texts) }),
    response: twiml(answer.twiml),
    signal,
  };
});

const E164 = /^\+[1-9]\d{1,14}$/;

/** A call's texts (its `sms` actions) as queued messages; one to a party with no phone number (`client:alice`) is left out. */
function callTexts(context: InvocationContext, params: FormParams, outbox: CallText[], url: string) {
  const causeSid = field(params, 'CallSid');
  return outbox.flatMap(({ key, ...text }) => {
    if (E164.test(text.to)) return [queuedText(key, new URL(url).origin, { ...text, purpose: 'sms', causeSid })];
    context.warn(`${key}: no text sent to ${text.to}, which is not a phone number`);
    return [];
  });
}

/** What the event of the request that queued these texts says of them: `voicemail to +15550100000`. */
const textFacts = (texts: QueuedMessage<'sms'>[]): { texts?: string[] } =>
  texts.length ? { texts: texts.map(({ payload }) => `${payload.purpose ?? 'sms'} to ${payload.to}`) } : {};

/**
 * POST /api/twilio/sms: the messaging flow. A rule's forwards are queued before the answer (a
 * 503 when the queue is down, so Twilio delivers the text again), each keyed by the incoming
 * message and recipient, so a redelivered text forwards nothing twice.
 */
export const messageFlowWebhook = recordedWebhook(async (params, context, settings, { url }) => {
  const signal = storageDeadline();
  const flows = getFlows(settings);
  const optOut = await keepOptOut(settings, context, params, signal);
  const conversing = hasConversations(flows)
    ? await conversationTurn(settings, flows, params, optOut, context)
    : undefined;
  if (conversing?.handled)
    return {
      observation: smsWebhookObservation(params, { rule: conversing.rule }),
      response: twiml(EMPTY_TWIML),
      signal,
    };
  let answer = await answerMessage(flows, params, settings, now(), { context });
  if (!optOut && answer.replies) answer = await withoutReplyToOptedOut(settings, params, answer, signal);
  if (!optOut && answer.start !== undefined)
    answer = {
      ...answer,
      rule: `${answer.rule}${await startedByRule(settings, flows, params, answer.start, url, context)}`,
    };
  const from = field(params, 'To') ?? settings.TWILIO_PHONE_NUMBER;
  const causeSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
  const forwards = answer.forwards.map(({ to, body }) =>
    queuedText(`forward|${causeSid}|${to}`, new URL(url).origin, { to, from, body, purpose: 'forward', causeSid }),
  );
  const observation = smsWebhookObservation(params, {
    rule: conversing?.rule ? `${conversing.rule}; ${answer.rule}` : answer.rule,
    ...(answer.effects ? { effects: answer.effects } : {}),
    ...textFacts(forwards),
  });
  await enqueue(settings, forwards, signal);
  return { observation, response: twiml(answer.twiml), signal };
});

/**
 * An opt-out or opt-in keyword (STOP, START…) from a number puts it on or takes it off the
 * line's opt-out list before the text is answered: a 503 when storage is down, so Twilio
 * delivers it again and no STOP is forgotten. What the text was, when it was one.
 */
async function keepOptOut(
  settings: Settings,
  context: InvocationContext,
  params: FormParams,
  signal: AbortSignal,
): Promise<'opted-out' | 'opted-in' | undefined> {
  const keyword = carrierKeyword(field(params, 'Body') ?? '');
  const number = field(params, 'From');
  const messageSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
  if (!keyword || keyword.kind === 'help' || !number || !messageSid) return undefined;
  const status = keyword.kind === 'opt-out' ? 'opted-out' : 'opted-in';
  const line = field(params, 'To') ?? settings.TWILIO_PHONE_NUMBER;
  await saveOptOut(settings, { number, line, status, keyword: keyword.keyword, messageSid }, signal);
  context.log(`${number} ${status === 'opted-out' ? 'opted out' : 'opted back in'} (${keyword.keyword} to ${line})`);
  return status;
}

const EMPTY_TWIML = new MessagingResponse().toString();

/** Whether the flow holds text conversations: only then does a text load their code and look for one. */
const hasConversations = (flows: FlowFile): boolean => Object.keys(flows.messaging?.steps ?? {}).length > 0;

/**
 * A text from a party the line is in a conversation with: STOP (any opt-out keyword) ends it;
 * HELP is no reply; anything else (YES and START too) is the reply to its question,
 * and then the text is handled (`handled`) with nothing more. No conversation: undefined.
 */
async function conversationTurn(
  settings: Settings,
  flows: FlowFile,
  params: FormParams,
  optOut: 'opted-out' | 'opted-in' | undefined,
  context: InvocationContext,
): Promise<{ handled: boolean; rule: string } | undefined> {
  const converse = await import('./converse.js');
  const line = field(params, 'To') ?? settings.TWILIO_PHONE_NUMBER;
  const party = field(params, 'From');
  const body = field(params, 'Body') ?? '';
  const messageSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
  if (!party || !messageSid) return undefined;
  if (optOut === 'opted-out') {
    const ended = await converse.endForOptOut(settings, line, party, carrierKeyword(body)!.keyword, now());
    return ended && { handled: false, rule: `conversation ${ended.id} ended: ${ended.endReason}` };
  }
  // HELP is the carrier's to answer; an opt-in word (YES, START) is a reply like any other.
  if (carrierKeyword(body)?.kind === 'help') return undefined;
  const trigger = triggerFields(params);
  const moved = await converse.replyToConversation(
    settings,
    flows,
    { line, party, body, messageSid, trigger },
    now(),
    context,
  );
  if (!moved) return undefined;
  return { handled: true, rule: `conversation ${moved.id}: reply → ${converse.describeWhere(moved)}` };
}

/** A rule's `start`: a conversation with the sender (keyed by the text, so a redelivery starts nothing new). */
async function startedByRule(
  settings: Settings,
  flows: FlowFile,
  params: FormParams,
  step: string,
  url: string,
  context: InvocationContext,
): Promise<string> {
  const converse = await import('./converse.js');
  const line = field(params, 'To') ?? settings.TWILIO_PHONE_NUMBER;
  const party = field(params, 'From') ?? '';
  const messageSid = field(params, 'MessageSid') ?? field(params, 'SmsSid') ?? '';
  if (!E164.test(party)) return `; no conversation: ${party || 'the sender'} is not a phone number`;
  // Its questions would all be refused: a number on the opt-out list gets none.
  if ((await optOutsOf(settings, party, line, storageDeadline())).length) return '; no conversation: opted out';
  const id = `CV${createHash('sha256').update(messageSid).digest('hex').slice(0, 32)}`;
  const request = { id, line, party, step, origin: new URL(url).origin, trigger: triggerFields(params), now: now() };
  try {
    const started = await converse.startConversation(settings, flows, request, context);
    return ` → conversation ${started.id} ${converse.describeWhere(started)}`;
  } catch (error) {
    if (!(error instanceof converse.ConversationActiveError)) throw error;
    return `; no conversation: ${error.publicMessage}`;
  }
}

/** A reply to a number on the opt-out list is never sent (Twilio would refuse it with 21610): the TwiML is left empty. */
async function withoutReplyToOptedOut(
  settings: Settings,
  params: FormParams,
  answer: MessageAnswer,
  signal: AbortSignal,
): Promise<MessageAnswer> {
  const number = field(params, 'From');
  if (!number) return answer;
  const rows = await replyOptOutsOf(settings, number, field(params, 'To') ?? settings.TWILIO_PHONE_NUMBER, signal);
  if (rows.length === 0) return answer;
  return {
    ...answer,
    twiml: new MessagingResponse().toString(),
    replies: false,
    rule: `${answer.rule}, reply withheld: opted out`,
  };
}

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
  const outbox: CallText[] = [];
  let answer = await answerCallback(kind, place, flows, params, settings, { ...session, context, started, outbox });
  if (!answer) {
    context.warn(
      `Call ${logText(field(params, 'CallSid'))} asked for ${where}, which the flow file does not have (changed since the call began?); it goes back to the entry step`,
    );
    answer = stepGone(flows, place, settings, params);
  }
  const texts = callTexts(context, params, outbox, url);
  answer = { ...answer, facts: { ...answer.facts, ...textFacts(texts) } };
  // One deadline for the turn's storage: its texts are queued in what is left of it.
  const signal = storageDeadline();
  const once = await answerTurnOnce(settings, context, params, place.turn!, answer, where);
  if (!once.replayed) await session?.save();
  // Only the texts of the answer the caller hears: a replay with other input (answered with the
  // first TwiML) sends none of its own. The caller is on the line and Twilio does not retry an
  // action URL: texts that cannot be queued are logged, and the turn is answered all the same.
  if (once.twiml === answer.twiml)
    await enqueue(settings, texts, signal).catch((error: unknown) => {
      if (!(error instanceof QueueUnavailableError)) throw error;
      context.error(
        `Call ${logText(field(params, 'CallSid'))}: turn ${place.turn} (${where}) answered, but its ${outbox.length} text(s) could not be queued: ${error.message}`,
      );
    });
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
  const steps = flows.voice?.steps ?? {};
  const action = place.step !== undefined ? own(steps, place.step)?.actions[place.at ?? -1] : undefined;
  const notify = action && 'record' in action ? action.record.notify : undefined;
  if (!notify) {
    await saveObservation(settings, observation, { signal });
    return;
  }
  const call = await findRecord(settings, 'call', observation.sid, { signal });
  const transcribed = observation.transcription !== undefined;
  const body = transcribed
    ? `Transcription of the voicemail from ${call?.from ?? 'an unknown caller'}: ${observation.transcription}`
    : render(
        notify.text,
        templateScope('call', triggerFields(params, { From: call?.from, To: call?.to }), settings, call?.flowState),
      );
  const purpose = transcribed ? 'transcription' : 'voicemail';
  const texts = [notify.to].flat().map((to) =>
    queuedText(`${transcribed ? 'transcription' : 'recording'}|${observation.recordingSid}|${to}`, origin, {
      to,
      from: settings.TWILIO_PHONE_NUMBER,
      body: body.slice(0, MAX_SMS_LENGTH),
      purpose,
      causeSid: observation.sid,
    }),
  );
  await saveObservation(settings, { ...observation, ...textFacts(texts) }, { signal });
  await enqueue(settings, texts, signal);
  context.log(`Queued ${texts.length} text(s) about recording ${observation.recordingSid}`);
}
