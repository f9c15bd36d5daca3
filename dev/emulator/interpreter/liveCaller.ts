/**
 * A caller who answers as the call goes (the console's phone) instead of from a script given
 * up front: each <Gather> and <Record> waits, in real time, for what the caller does next.
 * Whoever runs the call (rest/liveCalls.ts) says what the caller did; this file decides, as
 * Twilio does, when a Gather or Record has heard enough.
 */

/** One thing the caller does: press keys, say words, stay silent (the verb's timeout passes at once) or hang up. */
export type CallerAction = { keys: string } | { speech: string } | { silence: true } | { hangup: true };

/** What the call is waiting for, as the caller's page shows it. */
export interface InputPrompt {
  verb: 'Gather' | 'Record';
  /** What the verb listens for: `dtmf`, `speech`. */
  input: string[];
  numDigits?: number;
  finishOnKey: string;
  /** When the wait ends if the caller does nothing. */
  until: string;
}

export interface LiveCaller {
  /** The caller's next action; undefined when `prompt.until` passes first or `signal` aborts. */
  next(prompt: InputPrompt, signal?: AbortSignal): Promise<CallerAction | undefined>;
}

/**
 * Real seconds a live verb waits at most, whatever its timeout or maxLength says: long enough
 * for a person reading a prompt on a page, short enough that a forgotten tab ends its call.
 */
export const MAX_LIVE_WAIT_SECONDS = 60;

/** What a live Gather heard: keys (finish key included, for the Gather to read as scripted keys), words, nothing, or a hangup. */
export type Heard = { keys: string } | { speech: string } | { nothing: true } | { hangup: true };

const waitUntil = (seconds: number) =>
  new Date(Date.now() + Math.min(seconds, MAX_LIVE_WAIT_SECONDS) * 1000).toISOString();
const elapsed = (since: number) => Math.max(1, Math.round((Date.now() - since) / 1000));

/**
 * Keys as a Gather collects them live: until numDigits keys or the finish key, or until
 * `timeout` seconds pass with no key (the first wait also covers the prompt being said).
 * Words count only before any key and when the Gather listens for speech.
 */
export async function listenToGather(
  caller: LiveCaller,
  prompt: Omit<InputPrompt, 'until' | 'verb'>,
  timing: { timeout: number; promptSeconds: number },
  signal?: AbortSignal,
): Promise<{ heard: Heard; seconds: number }> {
  const started = Date.now();
  let keys = '';
  // Words or keys the Gather does not listen for leave the deadline as it was; a key moves it.
  let until = waitUntil(timing.timeout + timing.promptSeconds);
  const done = () =>
    (prompt.finishOnKey !== '' && keys.endsWith(prompt.finishOnKey)) ||
    (prompt.numDigits !== undefined && keys.length >= prompt.numDigits);
  while (!done()) {
    const action = await caller.next({ ...prompt, verb: 'Gather', until }, signal);
    if (!action || 'silence' in action) break;
    if ('hangup' in action) return { heard: { hangup: true }, seconds: elapsed(started) };
    if ('speech' in action) {
      if (keys === '' && prompt.input.includes('speech'))
        return { heard: { speech: action.speech }, seconds: elapsed(started) };
      continue;
    }
    if (!prompt.input.includes('dtmf')) continue;
    for (const key of action.keys) {
      keys += key;
      if (done()) break;
    }
    until = waitUntil(timing.timeout);
  }
  return { heard: keys ? { keys } : { nothing: true }, seconds: elapsed(started) };
}

/**
 * How a live Record ends: a key in finishOnKey, the caller's silence (or maxLength), or a
 * hangup; what the caller says meanwhile is the message. The recording lasts the real time waited.
 */
export async function listenToRecord(
  caller: LiveCaller,
  finishOnKey: string,
  maxLength: number,
  signal?: AbortSignal,
): Promise<{ ended: string; seconds: number }> {
  const started = Date.now();
  const until = waitUntil(maxLength);
  for (;;) {
    const action = await caller.next({ verb: 'Record', input: ['dtmf'], finishOnKey, until }, signal);
    const seconds = Math.min(elapsed(started), maxLength);
    if (!action || 'silence' in action) return { ended: '', seconds };
    if ('hangup' in action) return { ended: 'hangup', seconds };
    const key = 'keys' in action ? [...action.keys].find((pressed) => finishOnKey.includes(pressed)) : undefined;
    if (key) return { ended: key, seconds };
  }
}
