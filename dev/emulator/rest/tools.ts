/**
 * The emulator's own endpoints under /_emulator (behind the same Basic auth): what a test or
 * `simulate` needs that Twilio's API has no word for: ring or text one of the account's
 * numbers as a phone would, say what the person (or machine) at a number does when called,
 * follow a call's transcript, and set the Console Debugger's webhook.
 */
import { ringNumber } from './calls';
import { textNumber } from './messages';
import { DIAL_OUTCOMES, type DialOutcome, type TranscriptLine } from '../interpreter/callTypes';
import { first, INVALID_PARAMETER, isCallAddress, oneOf, type Form } from './params';
import {
  ANSWERED_BY,
  callJson,
  messageJson,
  TwilioApiError,
  type CallPickUp,
  type EmulatedCall,
  type EmulatorCallScript,
} from './resources';
import { notFound, type Route } from './router';
import type { EmulatorState } from './state';

/** What GET /_emulator/calls/{sid} answers: the call as the REST API shows it, plus what the callee heard. */
export interface CallReport {
  call: ReturnType<typeof callJson>;
  transcript: TranscriptLine[];
  done: boolean;
  error?: { code: number; message: string };
  unused?: EmulatedCall['unused'];
  callbacks: Array<{ event: string; url: string; status?: number; error?: string }>;
}

const MAX_WAIT_SECONDS = 60;

export function toolRoutes(
  state: EmulatorState,
  waitFor: (sid: string, timeoutMs: number) => Promise<unknown>,
): Route[] {
  const waited = async (sid: string, wait: string | null) => {
    const waitMs = Math.min(Number(wait) || 0, MAX_WAIT_SECONDS) * 1000;
    if (waitMs) await waitFor(sid, waitMs).catch(() => undefined);
  };
  return [
    { method: 'GET', pattern: /^\/_emulator$/, phone: true, handle: () => ({ status: 200, json: summary(state) }) },
    {
      method: 'GET',
      pattern: /^\/_emulator\/calls\/([A-Za-z0-9]+)$/,
      handle: async ({ sids, path, query }) => {
        const call = state.calls.get(sids[0] ?? '');
        if (!call) throw notFound(path);
        await waited(call.sid, query.get('wait'));
        return { status: 200, json: callReport(call) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/_emulator\/messages\/([A-Za-z0-9]+)$/,
      handle: async ({ sids, path, query }) => {
        const message = state.messages.get(sids[0] ?? '');
        if (!message) throw notFound(path);
        await waited(message.sid, query.get('wait'));
        return { status: 200, json: { message: messageJson(message), done: message.done } };
      },
    },
    {
      // Twilio sets the debugger webhook in its console, not through the API: this is that setting.
      method: 'POST',
      pattern: /^\/_emulator\/debugger$/,
      handle: ({ form }) => {
        const url = first(form, 'Url') ?? '';
        if (url && !/^https?:\/\//.test(url)) throw new TwilioApiError(400, 21205, `Url is not a valid URL: ${url}`);
        state.debuggerUrl = url || undefined;
        return { status: 200, json: { debuggerUrl: state.debuggerUrl ?? null } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/_emulator\/calls$/,
      handle: ({ form }) => ({
        status: 201,
        json: callReport(ringNumber(state, ...caller(form), callerScript(state, form))),
      }),
    },
    calleeRoute(state),
    {
      method: 'POST',
      pattern: /^\/_emulator\/messages$/,
      phone: true,
      handle: async ({ form }) => {
        const [from, to] = caller(form);
        const { message, replies, error } = await textNumber(
          state,
          { from, to, body: first(form, 'Body') ?? '' },
          happensAt(form),
        );
        return {
          status: 201,
          json: { message: messageJson(message), replies: replies.map(messageJson), ...(error ? { error } : {}) },
        };
      },
    },
  ];
}

/** GET /_emulator: the account, its numbers (the phone offers them to call), how many calls and messages. */
const summary = (state: EmulatorState) => ({
  accountSid: state.accountSid,
  phoneNumbers: [...state.numbers.values()].map((n) => n.phoneNumber),
  calls: state.calls.size,
  messages: state.messages.size,
});

function caller(form: Form): [from: string, to: string] {
  const from = first(form, 'From');
  const to = first(form, 'To');
  if (!from || !isCallAddress(from)) throw new TwilioApiError(400, 21212, `Invalid 'From': ${from ?? '(missing)'}`);
  if (!to) throw new TwilioApiError(400, 21201, "No 'To' number is specified");
  return [from, to];
}

/** The caller's keys, words and dial outcome for this call (Digits, Speech, or the ordered Input: repeatable), else the emulator's script. */
function callerScript(state: EmulatorState, form: Form): EmulatedCall['script'] {
  const dialOutcome = oneOf(form, 'DialOutcome', DIAL_OUTCOMES) as DialOutcome | undefined;
  return {
    ...state.script,
    ...(form.has('Digits') ? { digits: form.get('Digits') } : {}),
    ...(form.has('Speech') ? { speech: form.get('Speech') } : {}),
    ...(form.has('Input') ? { inputs: form.get('Input') } : {}),
    ...(dialOutcome ? { dialOutcome } : {}),
    ...(happensAt(form) ? { at: happensAt(form) } : {}),
  };
}

/** POST /_emulator/callees: sets (or, with only Number, forgets) what the callee at a number does. */
function calleeRoute(state: EmulatorState): Route {
  return {
    method: 'POST',
    pattern: /^\/_emulator\/callees$/,
    handle: ({ form }) => {
      const number = first(form, 'Number');
      if (!number || !isCallAddress(number))
        throw new TwilioApiError(400, 21211, `Invalid 'Number': ${number ?? '(missing)'}`);
      const script = calleeScript(form);
      if (Object.keys(script).length) state.callees.set(number, script);
      else state.callees.delete(number);
      return { status: 200, json: { number, callee: state.callees.get(number) ?? null } };
    },
  };
}

/**
 * What the callee at a number does on calls placed to it: who answers (AnsweredBy, for machine
 * detection), whether they pick up (CallOutcome), their keys and words, how a <Dial> ends.
 * Only Number: forget what was set.
 */
function calleeScript(form: Form): EmulatorCallScript {
  const answeredBy = oneOf(form, 'AnsweredBy', ANSWERED_BY);
  const callOutcome = oneOf(form, 'CallOutcome', ['completed', 'busy', 'no-answer', 'failed'] as const);
  const dialOutcome = oneOf(form, 'DialOutcome', DIAL_OUTCOMES) as DialOutcome | undefined;
  return {
    ...(answeredBy ? { answeredBy } : {}),
    ...(callOutcome ? { callOutcome: callOutcome satisfies CallPickUp } : {}),
    ...(form.has('Digits') ? { digits: form.get('Digits') } : {}),
    ...(form.has('Speech') ? { speech: form.get('Speech') } : {}),
    ...(form.has('Input') ? { inputs: form.get('Input') } : {}),
    ...(dialOutcome ? { dialOutcome } : {}),
  };
}

/**
 * `At`: when the call or text happens (ISO 8601; without an offset, the app reads it in its
 * flow's time zone), for the app's local host; not Twilio's.
 */
function happensAt(form: Form): string | undefined {
  const at = first(form, 'At');
  if (at === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(at))
    throw new TwilioApiError(400, INVALID_PARAMETER, `Invalid At: ${at} (an ISO time, like 2026-06-01T10:00)`);
  return at;
}
export const callReport = (call: EmulatedCall): CallReport => ({
  call: callJson(call),
  transcript: call.transcript,
  done: call.done,
  ...(call.error ? { error: call.error } : {}),
  ...(call.unused ? { unused: call.unused } : {}),
  callbacks: call.callbacks.map((callback) => ({
    event: callback.params.CallStatus ?? '',
    url: callback.url,
    status: callback.status,
    ...(callback.error ? { error: callback.error } : {}),
  })),
});
