/** The Messages resource: create, list, fetch, update (redact the body, cancel) and delete, and each message's delivery. */
import type { OutgoingSms } from '../interpreter/callTypes';
import { runMessagingFlow, type MessagingFlowResult } from '../interpreter/messagingFlow';
import { checkPaging, checkTypes, E164, first, isHttpUrl, oneOf, TYPED_PARAMETERS, url, type Form } from './params';
import { API_VERSION, newSid } from '../interpreter/twilioApi';
import { messageJson, pageJson, segments, TwilioApiError, type EmulatedMessage, type MessageStatus } from './resources';
import { api, notFound, type ApiRequest, type Route } from './router';
import { deliver, numberByPhone, ownsNumber, recordRequest, type EmulatorScript, type EmulatorState } from './state';

const MAX_BODY_CHARACTERS = 1600;
const FINAL: ReadonlySet<MessageStatus> = new Set(['delivered', 'undelivered', 'failed', 'received', 'canceled']);

export function messageRoutes(state: EmulatorState): Route[] {
  const sid = api('/Messages/([^/]+)\\.json');
  return [
    {
      method: 'POST',
      pattern: api('/Messages\\.json'),
      handle: ({ form }) => ({ status: 201, json: messageJson(createFromForm(state, form)) }),
    },
    {
      method: 'GET',
      pattern: api('/Messages\\.json'),
      handle: (request) => ({ status: 200, json: listMessages(state, request) }),
    },
    {
      method: 'GET',
      pattern: sid,
      handle: (request) => ({ status: 200, json: messageJson(findMessage(state, request)) }),
    },
    {
      method: 'POST',
      pattern: sid,
      handle: (request) => ({
        status: 200,
        json: messageJson(updateMessage(findMessage(state, request), request.form)),
      }),
    },
    { method: 'DELETE', pattern: sid, handle: (request) => deleteMessage(state, findMessage(state, request)) },
  ];
}

function findMessage(state: EmulatorState, { sids, path }: ApiRequest): EmulatedMessage {
  const message = state.messages.get(sids[0] ?? '');
  if (!message) throw notFound(path);
  return message;
}

function createFromForm(state: EmulatorState, form: Form): EmulatedMessage {
  checkTypes(form, TYPED_PARAMETERS.createMessage);
  const to = first(form, 'To');
  const service = first(form, 'MessagingServiceSid');
  const from = first(form, 'From') ?? (service ? [...state.numbers.values()][0]?.phoneNumber : undefined);
  const body = first(form, 'Body') ?? '';
  const mediaUrls = form.get('MediaUrl') ?? [];
  if (!to) throw new TwilioApiError(400, 21604, "A 'To' phone number is required.");
  if (!from) throw new TwilioApiError(400, 21603, "A 'From' phone number is required.");
  if (!body && mediaUrls.length === 0) throw new TwilioApiError(400, 21602, 'Message body is required.');
  if (!E164.test(to)) throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
  if (!ownsNumber(state, from)) {
    throw new TwilioApiError(
      400,
      21606,
      `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
    );
  }
  if (body.length > MAX_BODY_CHARACTERS)
    throw new TwilioApiError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
  for (const media of mediaUrls)
    if (!isHttpUrl(media)) throw new TwilioApiError(400, 21620, `Invalid media URL(s): ${media}`);
  const statusCallback = url(form, 'StatusCallback', 21609);
  const sendAt = scheduled(form, service);
  return createMessage(
    state,
    { to, from, body, ...(statusCallback ? { statusCallback } : {}) },
    'outbound-api',
    mediaUrls,
    sendAt,
  );
}

/** ScheduleType=fixed with SendAt (and a MessagingServiceSid, as Twilio requires): sent at that time, cancelable until then. */
function scheduled(form: Form, service: string | undefined): Date | undefined {
  const type = oneOf(form, 'ScheduleType', ['fixed'] as const);
  const sendAt = first(form, 'SendAt');
  if (type === undefined) return undefined;
  if (!service) throw new TwilioApiError(400, 35111, 'Scheduling requires a MessagingServiceSid');
  if (sendAt === undefined || Number.isNaN(Date.parse(sendAt)))
    throw new TwilioApiError(400, 35114, `SendAt must be an ISO 8601 date: ${sendAt ?? '(missing)'}`);
  return new Date(sendAt);
}

export function createMessage(
  state: EmulatorState,
  sms: OutgoingSms,
  direction: EmulatedMessage['direction'],
  mediaUrls: string[] = [],
  sendAt?: Date,
): EmulatedMessage {
  const now = new Date();
  const message: EmulatedMessage = {
    sid: newSid('SM'),
    accountSid: state.accountSid,
    from: sms.from,
    to: sms.to,
    body: sms.body,
    mediaUrls,
    direction,
    status: sendAt ? 'scheduled' : 'queued',
    statusCallback: sms.statusCallback,
    dateCreated: now,
    dateUpdated: now,
    callbacks: [],
    done: false,
  };
  state.messages.set(message.sid, message);
  state.log(`message ${message.sid} ${message.from} → ${message.to} queued: ${logText(message.body)}`);
  const failure = state.script.messageFailure;
  state.clock.start(
    message.sid,
    () => deliverMessage(state, message, failure),
    sendAt ? Math.max(0, sendAt.getTime() - now.getTime()) : 0,
  );
  return message;
}

const statusesAfterQueued = (failure: EmulatorScript['messageFailure']): MessageStatus[] =>
  !failure ? ['sent', 'delivered'] : failure.status === 'failed' ? ['failed'] : ['sent', 'undelivered'];

/** Queued (the create answer; Twilio sends no callback for it) → sent → delivered, or the scripted failure. */
async function deliverMessage(
  state: EmulatorState,
  message: EmulatedMessage,
  failure: EmulatorScript['messageFailure'],
) {
  for (const status of statusesAfterQueued(failure)) {
    if (state.clock.stopped || message.status === 'canceled') break;
    message.status = status;
    message.dateUpdated = new Date();
    if (status === 'sent') message.dateSent = message.dateUpdated;
    const failed = status === 'failed' || status === 'undelivered';
    if (failed && failure) {
      message.errorCode = failure.errorCode;
      message.errorMessage = failure.message ?? `Message ${status} with error ${failure.errorCode}`;
    }
    state.log(`message ${message.sid} ${status}`);
    await statusCallback(state, message);
  }
  message.done = true;
}

async function statusCallback(state: EmulatorState, message: EmulatedMessage) {
  if (!message.statusCallback) return;
  const result = await deliver(state, {
    url: message.statusCallback,
    method: 'POST',
    params: {
      AccountSid: state.accountSid,
      ApiVersion: API_VERSION,
      From: message.from,
      To: message.to,
      MessageSid: message.sid,
      SmsSid: message.sid,
      MessageStatus: message.status,
      SmsStatus: message.status,
      ...(message.errorCode !== undefined ? { ErrorCode: String(message.errorCode) } : {}),
    },
  });
  if (result) message.callbacks.push(result);
}

/** Body="" redacts a message that has ended; Status=canceled cancels a scheduled message before it is sent. */
function updateMessage(message: EmulatedMessage, form: Form): EmulatedMessage {
  checkTypes(form, TYPED_PARAMETERS.updateMessage);
  const status = oneOf(form, 'Status', ['canceled'] as const);
  const body = first(form, 'Body');
  if (body !== undefined) {
    if (body !== '') throw new TwilioApiError(400, 20001, 'Body can only be set to an empty string (redaction)');
    if (!FINAL.has(message.status))
      throw new TwilioApiError(400, 20009, 'Cannot redact a message that has not finished sending');
    message.body = '';
  }
  if (status === 'canceled') {
    if (message.status !== 'scheduled' && message.status !== 'canceled')
      throw new TwilioApiError(400, 30409, 'Only a scheduled message can be canceled');
    message.status = 'canceled';
  }
  message.dateUpdated = new Date();
  return message;
}

function deleteMessage(state: EmulatorState, message: EmulatedMessage) {
  if (!FINAL.has(message.status))
    throw new TwilioApiError(400, 20009, 'Cannot delete a message that has not finished sending');
  state.messages.delete(message.sid);
  return { status: 204 as const };
}

const day = (date: Date | undefined) => date?.toISOString().slice(0, 10) ?? '';

function listMessages(state: EmulatorState, { query, path, form }: ApiRequest) {
  checkPaging(form);
  const tests: Array<[string, (message: EmulatedMessage, value: string) => boolean]> = [
    ['To', (message, value) => message.to === value],
    ['From', (message, value) => message.from === value],
    ['DateSent', (message, value) => day(message.dateSent) === value.slice(0, 10)],
    ['DateSent>', (message, value) => day(message.dateSent) >= value.slice(0, 10)],
    ['DateSent<', (message, value) => day(message.dateSent) !== '' && day(message.dateSent) <= value.slice(0, 10)],
  ];
  const messages = [...state.messages.values()]
    .filter((message) => tests.every(([param, test]) => !query.has(param) || test(message, query.get(param) ?? '')))
    .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
  return pageJson('messages', path, messages.map(messageJson), query);
}

/**
 * An incoming text to one of the account's numbers: Twilio requests the number's SMS URL (and
 * method, with its fallback URL on failure) and sends the <Message> replies of the answer.
 */
export async function textNumber(
  state: EmulatorState,
  sms: { from: string; to: string; body: string },
  at?: string,
): Promise<{ message: EmulatedMessage; replies: EmulatedMessage[]; error?: MessagingFlowResult['error'] }> {
  const number = numberByPhone(state, sms.to);
  if (!number) throw new TwilioApiError(404, 20404, `${sms.to} is not a number of this account`);
  if (!number.smsUrl)
    throw new TwilioApiError(400, 21606, `${sms.to} has no SMS URL: set SmsUrl (npm run webhooks) first`);
  const now = new Date();
  const message: EmulatedMessage = {
    sid: newSid('SM'),
    accountSid: state.accountSid,
    ...sms,
    mediaUrls: [],
    direction: 'inbound',
    status: 'received',
    dateCreated: now,
    dateUpdated: now,
    dateSent: now,
    callbacks: [],
    done: true,
  };
  state.messages.set(message.sid, message);
  const result = await runMessagingFlow({
    authToken: state.authToken,
    url: number.smsUrl,
    method: number.smsMethod,
    ...(number.smsFallbackUrl ? { fallback: { url: number.smsFallbackUrl, method: number.smsFallbackMethod } } : {}),
    message: {
      AccountSid: state.accountSid,
      ApiVersion: API_VERSION,
      MessageSid: message.sid,
      SmsSid: message.sid,
      SmsMessageSid: message.sid,
      From: sms.from,
      To: sms.to,
      Body: sms.body,
      NumMedia: '0',
      NumSegments: String(segments(sms.body)),
      SmsStatus: 'received',
    },
    signal: state.clock.signal,
    onRequest: (request) => recordRequest(state, request),
    ...(at ? { at } : {}),
  });
  const replies = result.replies.map((reply) => createMessage(state, reply, 'outbound-reply', reply.media));
  return { message, replies, ...(result.error ? { error: result.error } : {}) };
}

/** A text's body as the log shows it: on one line, quoted, cut after 100 characters. */
export function logText(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length > 100 ? `${line.slice(0, 100)}…` : line);
}
