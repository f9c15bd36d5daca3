/** The Calls resource: create, list, fetch and update (hang up, redirect), and each call's run from queued to its end. */
import { DEFAULT_MAX_STEPS, runCallFlow } from '../interpreter/callFlow';
import { CallControl, type CallFlowOptions, type CallStart } from '../interpreter/callTypes';
import type { LiveCall } from './liveCall';
import { detect, machineDetectionOf, type Detected, type MachineDetection } from './machineDetection';
import { createMessage } from './messages';
import {
  boolean,
  checkPaging,
  checkTypes,
  E164,
  first,
  INVALID_PARAMETER,
  integer,
  isCallAddress,
  listOf,
  method,
  oneOf,
  TYPED_PARAMETERS,
  url,
  type Form,
} from './params';
import { postDebuggerEvent } from './debugger';
import { recordCall } from './recordings';
import { callJson, pageJson, TwilioApiError, type CallStatus, type EmulatedCall } from './resources';
import { api, notFound, type ApiRequest, type Route } from './router';
import { callParams, MAX_CALL_SECONDS, newSid, rfc2822 } from '../interpreter/twilioApi';
import { deliver, numberByPhone, ownsNumber, recordRequest, type EmulatorState } from './state';

const CALL_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;
const TERMINAL: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const DEFAULT_TIMEOUT = 60;

export function callRoutes(state: EmulatorState): Route[] {
  return [
    {
      method: 'POST',
      pattern: api('/Calls\\.json'),
      handle: ({ form }) => ({ status: 201, json: callJson(createCall(state, form)) }),
    },
    {
      method: 'GET',
      pattern: api('/Calls\\.json'),
      handle: (request) => ({ status: 200, json: listCalls(state, request) }),
    },
    {
      method: 'GET',
      pattern: api('/Calls/([^/]+)\\.json'),
      handle: (request) => ({ status: 200, json: callJson(findCall(state, request)) }),
    },
    {
      method: 'POST',
      pattern: api('/Calls/([^/]+)\\.json'),
      handle: (request) => ({ status: 200, json: callJson(updateCall(state, findCall(state, request), request.form)) }),
    },
  ];
}

export function findCall(state: EmulatorState, { sids, path }: ApiRequest): EmulatedCall {
  const call = state.calls.get(sids[0] ?? '');
  if (!call) throw notFound(path);
  return call;
}

function parties(state: EmulatorState, form: Form) {
  const to = first(form, 'To');
  const from = first(form, 'From');
  if (!to) throw new TwilioApiError(400, 21201, "No 'To' number is specified");
  if (!isCallAddress(to)) throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
  if (!from) throw new TwilioApiError(400, 21213, "No 'From' number is specified");
  if (!isCallAddress(from)) throw new TwilioApiError(400, 21212, `Invalid 'From' Phone Number: ${from}`);
  if (!ownsNumber(state, from))
    throw new TwilioApiError(
      400,
      21210,
      `The source phone number provided, ${from}, is not yet verified for your account.`,
    );
  return { to, from };
}

/** Url wins over Twiml: Twilio's documentation says Twiml is ignored when both are given. */
function callStart(form: Form): CallStart {
  const answerUrl = url(form, 'Url');
  const twiml = first(form, 'Twiml');
  const answerMethod = method(form, 'Method');
  if (answerUrl) return { url: answerUrl, method: answerMethod ?? 'POST' };
  if (twiml !== undefined) return { twiml };
  if (first(form, 'ApplicationSid'))
    throw new TwilioApiError(400, 21218, 'Applications are not emulated: give Url or Twiml');
  throw new TwilioApiError(400, 21205, "A 'Url', 'Twiml' or 'ApplicationSid' parameter is required");
}

function recordingOptions(form: Form): EmulatedCall['recording'] {
  const record = boolean(form, 'Record');
  const statusCallback = url(form, 'RecordingStatusCallback');
  const callbackMethod = method(form, 'RecordingStatusCallbackMethod') ?? 'POST';
  const events = listOf(form, 'RecordingStatusCallbackEvent', ['in-progress', 'completed', 'absent']) ?? ['completed'];
  return record ? { ...(statusCallback ? { statusCallback } : {}), method: callbackMethod, events } : undefined;
}

function createCall(state: EmulatorState, form: Form): EmulatedCall {
  checkTypes(form, TYPED_PARAMETERS.createCall);
  const { to, from } = parties(state, form);
  const start = callStart(form);
  const fallbackUrl = url(form, 'FallbackUrl');
  const fallbackMethod = method(form, 'FallbackMethod') ?? 'POST';
  const sendDigits = first(form, 'SendDigits');
  if (sendDigits !== undefined && !/^[0-9A-Dw*#]{0,32}$/.test(sendDigits))
    throw new TwilioApiError(400, INVALID_PARAMETER, `Invalid SendDigits: ${sendDigits}`);
  const call: EmulatedCall = {
    ...notStarted(state, from, to),
    direction: 'outbound-api',
    status: 'queued',
    phoneNumberSid: numberByPhone(state, from)?.sid,
    start,
    ...(fallbackUrl ? { fallback: { url: fallbackUrl, method: fallbackMethod } } : {}),
    statusCallback: url(form, 'StatusCallback'),
    statusCallbackMethod: method(form, 'StatusCallbackMethod') ?? 'POST',
    statusCallbackEvents: listOf(form, 'StatusCallbackEvent', CALL_EVENTS) ?? ['completed'],
    timeout: integer(form, 'Timeout', { min: 1, max: 600 }) ?? DEFAULT_TIMEOUT,
    timeLimit: integer(form, 'TimeLimit', { min: 1 }) ?? MAX_CALL_SECONDS,
    recording: recordingOptions(form),
    machineDetection: machineDetectionOf(form, 'url' in start ? start.url : undefined),
    sendDigits,
    script: { ...state.script, ...state.callees.get(to) },
  };
  return begin(state, call, 'queued');
}

/** What every call has before it runs: its SID and parties, no transcript, no callbacks yet. */
function notStarted(state: EmulatorState, from: string, to: string) {
  const now = new Date();
  return {
    sid: newSid('CA'),
    accountSid: state.accountSid,
    from,
    to,
    dateCreated: now,
    dateUpdated: now,
    control: new CallControl(),
    transcript: [],
    callbacks: [],
    done: false,
  };
}

/** Keeps the call and runs it on the emulator's clock. */
function begin(state: EmulatorState, call: EmulatedCall, what: string): EmulatedCall {
  state.calls.set(call.sid, call);
  state.log(`call ${call.sid} ${call.from} → ${call.to} ${what}`);
  state.clock.start(call.sid, () => runCall(state, call));
  return call;
}

function setStatus(state: EmulatorState, call: EmulatedCall, status: CallStatus) {
  call.status = status;
  call.dateUpdated = new Date();
  state.log(`call ${call.sid} ${status}`);
}

/** Sends the call's status callback for `event` when the call asked for it. */
async function progress(
  state: EmulatorState,
  call: EmulatedCall,
  sequence: { next: number },
  event: string,
  extra: Record<string, string> = {},
) {
  if (!call.statusCallback || !call.statusCallbackEvents.includes(event)) return;
  const result = await deliver(state, {
    url: call.statusCallback,
    method: call.statusCallbackMethod,
    params: {
      ...callParams(call),
      // Twilio reports the initiated event as CallStatus=initiated, a status the call itself never shows.
      CallStatus: event === 'initiated' ? 'initiated' : call.status,
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(sequence.next++),
      Timestamp: rfc2822(new Date()),
      ...extra,
    },
  });
  if (result) call.callbacks.push(result);
}

/** Whether a REST update canceled the call while its callbacks were being answered. */
const canceled = (call: EmulatedCall) => call.status === 'canceled';

/** Queued → initiated → ringing → answered (or not) → the TwiML → completed, with each callback asked for. */
export async function runCall(state: EmulatorState, call: EmulatedCall): Promise<void> {
  const sequence = { next: 0 };
  if (call.direction === 'inbound') return finish(state, call, sequence, await converse(state, call));
  await progress(state, call, sequence, 'initiated');
  if (canceled(call)) return finish(state, call, sequence, 0);
  setStatus(state, call, 'ringing');
  await progress(state, call, sequence, 'ringing');
  const pickUp = call.script.callOutcome ?? 'completed';
  if (canceled(call) || pickUp !== 'completed') {
    if (!canceled(call)) setStatus(state, call, pickUp);
    if (pickUp === 'no-answer')
      call.transcript.push({ verb: 'Ring', text: `no answer within Timeout ${call.timeout} s` });
    return finish(state, call, sequence, 0);
  }
  call.startTime = new Date();
  setStatus(state, call, 'in-progress');
  await progress(state, call, sequence, 'answered');
  const seconds = await converse(state, call);
  return finish(state, call, sequence, seconds);
}

/**
 * Machine detection of an answered API call. Synchronous: it runs before the Url is requested,
 * which then carries AnsweredBy, and its time is part of the call. AsyncAmd: the Url is
 * requested at once and the result is posted to AsyncAmdStatusCallback once detection is done.
 */
function detectMachine(
  state: EmulatorState,
  call: EmulatedCall,
): Pick<CallFlowOptions, 'answerParams' | 'due'> & { seconds: number } {
  const settings = call.machineDetection;
  if (!settings || call.direction === 'inbound') return { seconds: 0 };
  const detected = detect(settings, call.script.answeredBy ?? 'human');
  if (settings.async) {
    const async = settings.async;
    return {
      seconds: 0,
      due: { atSeconds: detected.ms / 1000, run: () => reportDetection(state, call, async, detected) },
    };
  }
  call.answeredBy = detected.answeredBy;
  call.transcript.push({ verb: 'AnsweredBy', text: detected.line });
  state.log(`call ${call.sid} AnsweredBy ${detected.line}`);
  return { answerParams: detectionParams(detected), seconds: detected.ms / 1000 };
}

const detectionParams = (detected: Detected) => ({
  AnsweredBy: detected.answeredBy,
  MachineDetectionDuration: String(detected.ms),
});

/** AsyncAmd's result: on the Call, and posted to AsyncAmdStatusCallback when there is one (else Twilio's warning 21262). */
async function reportDetection(
  state: EmulatorState,
  call: EmulatedCall,
  async: NonNullable<MachineDetection['async']>,
  detected: Detected,
) {
  call.answeredBy = detected.answeredBy;
  state.log(`call ${call.sid} AnsweredBy ${detected.line} (AsyncAmd)`);
  if (!async.statusCallback) {
    call.transcript.push({ verb: 'AnsweredBy', text: `${detected.line}; warning 21262: no AsyncAmdStatusCallback` });
    return;
  }
  call.transcript.push({ verb: 'AnsweredBy', text: detected.line, next: `${async.method} ${async.statusCallback}` });
  await deliver(state, {
    url: async.statusCallback,
    method: async.method,
    params: { AccountSid: call.accountSid, CallSid: call.sid, ...detectionParams(detected) },
  });
}

async function converse(state: EmulatorState, call: EmulatedCall): Promise<number> {
  if (call.sendDigits) call.transcript.push({ verb: 'SendDigits', text: call.sendDigits });
  const { seconds: detecting, ...detection } = detectMachine(state, call);
  const result = await runCallFlow({
    authToken: state.authToken,
    call: callParams(call),
    ...detection,
    start: call.start,
    fallback: call.fallback,
    script: call.script,
    ...(call.live ? { caller: call.live } : {}),
    answered: call.direction !== 'inbound',
    maxSteps: state.maxSteps ?? DEFAULT_MAX_STEPS,
    timeLimit: call.timeLimit,
    apiBaseUrl: state.url,
    signal: state.clock.signal,
    control: call.control,
    onLine: (line) => {
      call.transcript.push(line);
      call.live?.changed();
      state.log(`call ${call.sid} ${line.verb} ${line.text}`);
    },
    onRequest: (request) => recordRequest(state, request),
    onRecording: (recording) => recordCall(state, call, recording),
    onError: (failure) => postDebuggerEvent(state, call.sid, failure, callParams(call)),
    sendSms: (sms) => createMessage(state, sms, 'outbound-call').sid,
  });
  if (result.error) call.error = result.error;
  call.unused = result.unused;
  if (result.status !== 'completed' || !result.answered) setStatus(state, call, result.status);
  // Twilio counts a call in whole seconds.
  return result.seconds + Math.ceil(detecting);
}

async function finish(state: EmulatorState, call: EmulatedCall, sequence: { next: number }, seconds: number) {
  call.duration = seconds;
  call.endTime = call.startTime ? new Date(call.startTime.getTime() + seconds * 1000) : new Date();
  if (!TERMINAL.has(call.status)) setStatus(state, call, 'completed');
  const recording =
    call.recording && seconds > 0
      ? recordCall(state, call, {
          sid: newSid('RE'),
          seconds,
          source: 'OutboundAPI',
          startTime: call.startTime ?? new Date(),
        })
      : undefined;
  const recordingParams: Record<string, string> = recording
    ? { RecordingUrl: recording.url, RecordingSid: recording.sid, RecordingDuration: String(seconds) }
    : {};
  // Duration: the billed minutes, which Twilio adds to the completed callback beside CallDuration in seconds.
  await progress(state, call, sequence, 'completed', {
    CallDuration: String(seconds),
    Duration: String(Math.ceil(seconds / 60)),
    ...recordingParams,
  });
  if (recording && call.recording?.statusCallback && call.recording.events.includes('completed')) {
    await deliver(state, {
      url: call.recording.statusCallback,
      method: call.recording.method,
      params: { ...recording.params, RecordingStatus: 'completed', ErrorCode: '0' },
    });
  }
  call.done = true;
  call.live?.changed();
}

/** Status=completed hangs up (canceled before answer), Status=canceled cancels a call not yet answered; Url or Twiml redirects it. */
function updateCall(state: EmulatorState, call: EmulatedCall, form: Form): EmulatedCall {
  checkTypes(form, TYPED_PARAMETERS.updateCall);
  const status = oneOf(form, 'Status', ['canceled', 'completed'] as const);
  const answerUrl = url(form, 'Url');
  const twiml = first(form, 'Twiml');
  const answerMethod = method(form, 'Method') ?? 'POST';
  const statusCallback = url(form, 'StatusCallback');
  const statusCallbackMethod = method(form, 'StatusCallbackMethod');
  const live = !TERMINAL.has(call.status);
  if (status || answerUrl || twiml !== undefined) {
    if (!live || call.done) throw new TwilioApiError(400, 21220, 'Call is not in-progress. Cannot redirect.');
  }
  if (statusCallback !== undefined) call.statusCallback = statusCallback;
  if (statusCallbackMethod) call.statusCallbackMethod = statusCallbackMethod;
  if (status === 'canceled' && (call.status === 'queued' || call.status === 'ringing')) cancel(state, call);
  else if (status === 'completed' && call.status === 'in-progress') call.control.hangup();
  else if (status === 'completed') cancel(state, call);
  else if (answerUrl) call.control.redirect({ url: answerUrl, method: answerMethod });
  else if (twiml !== undefined) call.control.redirect({ twiml });
  call.dateUpdated = new Date();
  return call;
}

function cancel(state: EmulatorState, call: EmulatedCall) {
  setStatus(state, call, 'canceled');
  call.control.hangup();
}

const FILTERS: Array<[param: string, test: (call: EmulatedCall, value: string) => boolean]> = [
  ['To', (call, value) => call.to === value],
  ['From', (call, value) => call.from === value],
  ['Status', (call, value) => call.status === value],
  // The emulator keeps no child legs as calls of their own, so no call has a parent.
  ['ParentCallSid', () => false],
  ['StartTime', (call, value) => day(call.startTime) === value],
  ['StartTime>', (call, value) => day(call.startTime) >= value],
  ['StartTime<', (call, value) => day(call.startTime) !== '' && day(call.startTime) <= value],
  ['EndTime', (call, value) => day(call.endTime) === value],
  ['EndTime>', (call, value) => day(call.endTime) >= value],
  ['EndTime<', (call, value) => day(call.endTime) !== '' && day(call.endTime) <= value],
];

const day = (date: Date | undefined) => date?.toISOString().slice(0, 10) ?? '';

function listCalls(state: EmulatorState, { query, path, form }: ApiRequest) {
  checkPaging(form);
  oneOf(form, 'Status', [
    'queued',
    'ringing',
    'in-progress',
    'canceled',
    'completed',
    'failed',
    'busy',
    'no-answer',
  ] as const);
  const to = first(form, 'To');
  if (to !== undefined && !E164.test(to) && !isCallAddress(to))
    throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
  const calls = [...state.calls.values()]
    .filter((call) => FILTERS.every(([param, test]) => !query.has(param) || test(call, query.get(param) ?? '')))
    .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
  return pageJson('calls', path, calls.map(callJson), query);
}

/** An incoming call to one of the account's numbers: Twilio requests the number's voice URL (and method), falling back to its fallback URL. */
export function ringNumber(
  state: EmulatorState,
  from: string,
  to: string,
  script: EmulatedCall['script'],
  live?: LiveCall,
): EmulatedCall {
  const number = numberByPhone(state, to);
  if (!number) throw new TwilioApiError(404, 20404, `${to} is not a number of this account`);
  if (!number.voiceUrl)
    throw new TwilioApiError(400, 21205, `${to} has no voice URL: set VoiceUrl (npm run webhooks) first`);
  const basics = notStarted(state, from, to);
  const call: EmulatedCall = {
    ...basics,
    direction: 'inbound',
    status: 'ringing',
    phoneNumberSid: number.sid,
    start: { url: number.voiceUrl, method: number.voiceMethod },
    ...(number.voiceFallbackUrl
      ? { fallback: { url: number.voiceFallbackUrl, method: number.voiceFallbackMethod } }
      : {}),
    ...(number.statusCallback ? { statusCallback: number.statusCallback } : {}),
    statusCallbackMethod: number.statusCallbackMethod,
    statusCallbackEvents: ['completed'],
    timeout: DEFAULT_TIMEOUT,
    timeLimit: MAX_CALL_SECONDS,
    startTime: basics.dateCreated,
    script,
    ...(live ? { live } : {}),
  };
  return begin(state, call, 'inbound');
}
