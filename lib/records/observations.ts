/**
 * What each Twilio request and each of our API calls tells the records, read from Twilio's
 * form fields with zod. Twilio sends many more fields than these; the others are ignored.
 */
import * as z from 'zod';
import { BadRequestError } from '../errors';
import { field, zodProblems, type FormParams } from '../http/requests';
import type { Direction, Facts, FlowFacts, Observation, Placed } from './model';
import { callSid, messageSid } from '../twilio/ids';
import { keyPart } from './tables';

const count = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .nonnegative('must not be negative')
    .optional(),
);
const text = z.string().optional();
/** Who a request is between: not always E.164 (`client:alice`, `anonymous`). */
const parties = { From: text, To: text };

/** Twilio's directions (inbound, outbound-api, outbound-dial, outbound-reply…) as ours. */
const directionOf = (value: string | undefined, fallback: Direction): Direction =>
  value === undefined ? fallback : value.startsWith('outbound') ? 'outbound' : 'inbound';

function parse<T extends z.ZodType>(schema: T, params: FormParams): z.output<T> {
  const single = Object.fromEntries(Object.keys(params).map((name) => [name, field(params, name)]));
  const result = schema.safeParse(single);
  if (!result.success) throw new BadRequestError(400, 'Invalid Twilio request', zodProblems(result.error));
  return result.data;
}

const voiceRequest = z.object({
  CallSid: callSid,
  ...parties,
  CallStatus: z.string().min(1).default('ringing'),
  Direction: text,
});

/** The voice webhook: a new incoming call, or one we placed being answered; `facts`: what the flow did. */
export function voiceWebhookObservation(params: FormParams, facts: FlowFacts = {}): Observation {
  return {
    ...callParties(parse(voiceRequest, params), 'inbound'),
    ...facts,
    source: 'voice-webhook',
    eventKey: 'voice-webhook',
  };
}

/** A request of the call's flow (gather, dial, record, step), one per turn. */
const flowRequest = voiceRequest.extend({ CallStatus: z.string().min(1).default('in-progress') });

export function flowObservation(params: FormParams, facts: FlowFacts & { turn: number }): Observation {
  const call = parse(flowRequest, params);
  return { ...callParties(call, 'inbound'), ...facts, source: 'flow', eventKey: flowEventKey(facts.turn) };
}

/** A turn's event: one per turn of a call, so a redelivered turn finds the first one. */
export const flowEventKey = (turn: number): string => `flow|${turn}`;

const recordingRequest = z.object({
  CallSid: callSid,
  RecordingSid: z.string().regex(/^RE[0-9a-fA-F]{32}$/, 'must be a recording SID (RE followed by 32 hex digits)'),
  RecordingUrl: z.url().optional(),
  RecordingDuration: count,
  TranscriptionSid: text,
  TranscriptionText: text,
  TranscriptionStatus: text,
});

/**
 * A recording callback (the recording is ready) or a transcription callback (its text is).
 * The call may have ended or not; the status it carries only lets the record advance.
 */
export function recordingObservation(params: FormParams): Observation {
  const recording = parse(recordingRequest, params);
  const transcribed = recording.TranscriptionSid !== undefined;
  return {
    kind: 'call',
    sid: recording.CallSid,
    direction: 'inbound',
    status: 'in-progress',
    recordingSid: recording.RecordingSid,
    ...(recording.RecordingUrl ? { recordingUrl: recording.RecordingUrl, recordings: [recording.RecordingUrl] } : {}),
    ...(recording.RecordingDuration !== undefined ? { recordingDuration: recording.RecordingDuration } : {}),
    ...(transcribed
      ? {
          transcription:
            recording.TranscriptionStatus === 'failed' ? '(transcription failed)' : (recording.TranscriptionText ?? ''),
        }
      : {}),
    source: 'recording-callback',
    eventKey: transcribed
      ? `transcription|${keyPart(recording.TranscriptionSid!)}`
      : `recording|${recording.RecordingSid}`,
  };
}

/** What every request about a call says: which call, which way, between whom, and its status. */
function callParties(
  call: {
    CallSid: string;
    CallStatus: string;
    Direction?: string | undefined;
    From?: string | undefined;
    To?: string | undefined;
  },
  direction: Direction,
) {
  return {
    kind: 'call' as const,
    sid: call.CallSid,
    direction: directionOf(call.Direction, direction),
    from: call.From,
    to: call.To,
    status: call.CallStatus,
  };
}

const smsRequest = z.object({ MessageSid: messageSid, ...parties, Body: text });

/** The SMS webhook: an incoming message, with its media URLs (MediaUrl0, MediaUrl1, …). */
export function smsWebhookObservation(params: FormParams, facts: FlowFacts = {}): Observation {
  const message = parse(smsRequest, params);
  const media = Object.keys(params)
    .filter((name) => /^MediaUrl\d+$/.test(name))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
    .map((name) => field(params, name)!);
  return {
    kind: 'message',
    sid: message.MessageSid,
    direction: 'inbound',
    from: message.From,
    to: message.To,
    status: 'received',
    body: message.Body ?? '',
    ...(media.length ? { mediaUrls: media } : {}),
    ...facts,
    source: 'sms-webhook',
    eventKey: 'received',
  };
}

const messageStatus = z.object({
  MessageSid: messageSid,
  MessageStatus: z.string().min(1),
  ErrorCode: count,
  ...parties,
});

const callStatus = z.object({
  CallSid: callSid,
  CallStatus: z.string().min(1),
  SequenceNumber: count,
  CallDuration: count,
  Timestamp: text,
  Direction: text,
  ...parties,
});

/** A status callback, for a message (MessageStatus) or a call (CallStatus). */
export function statusCallbackObservation(params: FormParams): Observation {
  if (field(params, 'MessageStatus') !== undefined || field(params, 'CallStatus') === undefined) {
    const message = parse(messageStatus, params);
    return {
      kind: 'message',
      sid: message.MessageSid,
      direction: 'outbound',
      from: message.From,
      to: message.To,
      status: message.MessageStatus,
      errorCode: message.ErrorCode,
      source: 'status-callback',
      eventKey: `status|${keyPart(message.MessageStatus)}`,
    };
  }
  const call = parse(callStatus, params);
  return {
    ...callParties(call, 'outbound'),
    sequence: call.SequenceNumber,
    duration: call.CallDuration,
    twilioTimestamp: call.Timestamp,
    source: 'status-callback',
    eventKey: `status|${call.SequenceNumber ?? '-'}|${keyPart(call.CallStatus)}`,
  };
}

/** A call or message our API just created, as Twilio answered it. */
export function placedObservation(kind: Observation['kind'], placed: Placed, extra: Facts = {}): Observation {
  return {
    kind,
    sid: placed.sid,
    direction: 'outbound',
    from: placed.from,
    to: placed.to,
    status: placed.status,
    ...extra,
    source: 'api',
    eventKey: 'created',
  };
}
