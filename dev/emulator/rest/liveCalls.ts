/**
 * Live calls (the emulator's own, not Twilio's): a call to one of the account's numbers whose
 * caller answers as it goes, from the console's phone. `POST /_emulator/LiveCalls` rings the
 * number; `POST /_emulator/LiveCalls/{sid}/Input` presses keys, says words, stays silent or
 * hangs up; `GET /_emulator/LiveCalls/{sid}?after=N&changes=C&wait=S` answers the transcript lines after
 * the first N and what the call waits for, holding the request up to S seconds until there is
 * news (a change after the C-th the poller saw). The call itself is an ordinary incoming call: webhooks, callbacks, the REST API.
 * `GET /_emulator/messages?Number=` is the phone's text thread.
 */
import { ringNumber } from './calls';
import { DIAL_OUTCOMES, type DialOutcome } from '../interpreter/callTypes';
import type { CallerAction, InputPrompt } from '../interpreter/liveCaller';
import { LiveCall, MAX_QUEUED_ACTIONS } from './liveCall';
import { boolean, first, INVALID_PARAMETER, isCallAddress, oneOf, type Form } from './params';
import { callJson, messageJson, TwilioApiError, type EmulatedCall } from './resources';
import { notFound, type Route } from './router';
import type { EmulatorState } from './state';

/** How long one events request is held at most. */
const MAX_POLL_SECONDS = 25;
const MAX_SPEECH_CHARACTERS = 500;

export interface LiveCallReport {
  call: ReturnType<typeof callJson>;
  done: boolean;
  /** Transcript lines after the `after` asked for, and the count to ask after next time. */
  lines: EmulatedCall['transcript'];
  next: number;
  waiting: InputPrompt | null;
  /** Pass it back as `?changes=`: the next poll is held only while nothing has changed since. */
  changes: number;
  error?: { code: number; message: string };
}

const report = (call: EmulatedCall, live: LiveCall, after: number): LiveCallReport => ({
  call: callJson(call),
  done: call.done,
  lines: call.transcript.slice(after),
  next: call.transcript.length,
  waiting: live.waiting ?? null,
  changes: live.changes,
  ...(call.error ? { error: call.error } : {}),
});

export function liveCallRoutes(state: EmulatorState): Route[] {
  const find = (sid: string | undefined, path: string) => {
    const call = state.calls.get(sid ?? '');
    if (!call?.live) throw notFound(path);
    return { call, live: call.live };
  };
  return [
    {
      // A phone's thread: every text to or from Number, oldest first.
      method: 'GET',
      pattern: /^\/_emulator\/messages$/,
      phone: true,
      handle: ({ query }) => {
        const number = query.get('Number') ?? '';
        if (!isCallAddress(number))
          throw new TwilioApiError(400, INVALID_PARAMETER, `Invalid Number: ${number || '(missing)'}`);
        const thread = [...state.messages.values()]
          .filter((message) => message.from === number || message.to === number)
          .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
        return { status: 200, json: { messages: thread.map(messageJson) } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/_emulator\/LiveCalls$/,
      phone: true,
      handle: ({ form }) => {
        const live = new LiveCall();
        const call = ringNumber(state, ...parties(form), liveScript(state, form), live);
        return { status: 201, json: report(call, live, 0) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/_emulator\/LiveCalls\/([A-Za-z0-9]+)$/,
      phone: true,
      handle: async ({ sids, path, query }) => {
        const { call, live } = find(sids[0], path);
        const after = Math.max(0, Math.floor(Number(query.get('after')) || 0));
        const waitMs = Math.min(Math.max(Number(query.get('wait')) || 0, 0), MAX_POLL_SECONDS) * 1000;
        // Held only while nothing changed since the poller's last answer (`changes`): a wait begun or
        // ended adds no transcript line, and a change between two polls must not wait for the next one.
        const seen = Number(query.get('changes') ?? -1);
        if (waitMs && !call.done && call.transcript.length <= after && live.changes === seen)
          await Promise.race([live.news(waitMs), state.clock.job(call.sid)]);
        return { status: 200, json: report(call, live, after) };
      },
    },
    {
      method: 'POST',
      pattern: /^\/_emulator\/LiveCalls\/([A-Za-z0-9]+)\/Input$/,
      phone: true,
      handle: ({ sids, path, form }) => {
        const { call, live } = find(sids[0], path);
        if (call.done) throw new TwilioApiError(400, 21220, 'Call is not in-progress. Cannot take input.');
        const action = callerAction(form);
        // A hangup while the app is answering interrupts the request, as a hangup through the REST API does.
        if ('hangup' in action && !live.isWaiting) call.control.hangup();
        else if (!live.act(action))
          throw new TwilioApiError(429, 20429, `Too many inputs wait for the call: at most ${MAX_QUEUED_ACTIONS}`);
        return { status: 200, json: { accepted: true } };
      },
    },
  ];
}

function parties(form: Form): [from: string, to: string] {
  const from = first(form, 'From');
  const to = first(form, 'To');
  if (!from || !isCallAddress(from)) throw new TwilioApiError(400, 21212, `Invalid 'From': ${from ?? '(missing)'}`);
  if (!to) throw new TwilioApiError(400, 21201, "No 'To' number is specified");
  return [from, to];
}

/** The emulator's script (dial outcome, transcription), without scripted keys or words: the caller gives those live. */
function liveScript(state: EmulatorState, form: Form): EmulatedCall['script'] {
  const dialOutcome = oneOf(form, 'DialOutcome', DIAL_OUTCOMES) as DialOutcome | undefined;
  const script = { ...state.script, ...(dialOutcome ? { dialOutcome } : {}) };
  delete script.digits;
  delete script.speech;
  delete script.inputs;
  return script;
}

/** Exactly one of Digits, Speech, Silence=true or Hangup=true. */
function callerAction(form: Form): CallerAction {
  const given = ['Digits', 'Speech', 'Silence', 'Hangup'].filter((name) => form.has(name));
  if (given.length !== 1)
    throw new TwilioApiError(
      400,
      INVALID_PARAMETER,
      `Give exactly one of Digits, Speech, Silence=true or Hangup=true${given.length ? ` (got ${given.join(', ')})` : ''}`,
    );
  const digits = first(form, 'Digits');
  const speech = first(form, 'Speech');
  if (digits !== undefined) {
    if (!/^[0-9*#]{1,32}$/.test(digits))
      throw new TwilioApiError(400, INVALID_PARAMETER, `Invalid Digits: "${digits}" is not 1 to 32 of 0-9, * and #`);
    return { keys: digits };
  }
  if (speech !== undefined) {
    const words = speech.trim();
    if (!words || words.length > MAX_SPEECH_CHARACTERS)
      throw new TwilioApiError(400, INVALID_PARAMETER, `Invalid Speech: 1 to ${MAX_SPEECH_CHARACTERS} characters`);
    return { speech: words };
  }
  const name = given[0]!;
  if (boolean(form, name) !== true) throw new TwilioApiError(400, INVALID_PARAMETER, `Invalid ${name}: only true`);
  return name === 'Silence' ? { silence: true } : { hangup: true };
}
