import { setMaxListeners } from 'node:events';

/**
 * How long this app waits for what it depends on. Twilio gives a webhook 15 s in all and
 * then plays "an application error has occurred" (error 11200): every webhook must answer,
 * 503 included, well inside that, whatever storage or Twilio does.
 *
 * - A webhook's storage work (record, event, listing rows) shares one storage deadline, so a
 *   webhook answers within STORAGE_MS plus its own few milliseconds.
 * - One Twilio REST request waits at most TWILIO_REQUEST_MS; after that its outcome is unknown.
 * - POST /api/calls and /api/messages: idempotency key (storage), Twilio, record (storage),
 *   each with its own deadline: at most 2 × STORAGE_MS + TWILIO_REQUEST_MS in all.
 */
export const PRODUCTION_DEADLINES = {
  /** All storage operations of one step of a request, retries included. */
  storageMs: 8_000,
  /** One Twilio REST request, from sending to the answer. */
  twilioRequestMs: 10_000,
  /**
   * A queued send that another try is working on is looked at again after this, rather than
   * failing (which would spend one of host.json's maxDequeueCount tries on waiting).
   */
  queuedRecheckMs: 5_000,
  /**
   * A queued send's try that has held its key this long died on the way (its storage writes and
   * one Twilio request take at most 2 × storageMs + twilioRequestMs): the next try looks at
   * Twilio for what it may have sent, then sends.
   */
  queuedInFlightMs: 2 * 8_000 + 10_000 + 5_000,
  /**
   * A flow's logic actions (http, code) in one request share this budget, so a webhook answers
   * inside Twilio's 15 s even when the owner's system hangs and storage is slow: the budget
   * (which includes reading the call's variables), then the turn's record (storageMs) and
   * saving the variables (flowStateMs), 4 + 8 + 2 = 14 s. One action's own deadline is
   * flowActionMs unless the flow says otherwise, never more than flowActionMaxMs, and always
   * cut to what is left of this budget.
   */
  flowTurnMs: 4_000,
  flowActionMs: 5_000,
  flowActionMaxMs: 10_000,
  /** Reading or writing a call's variables: short, so a slow storage leaves the turn its budget. */
  flowStateMs: 2_000,
  /** Health's storage probe, whose answer is kept for healthCacheMs. */
  healthProbeMs: 2_000,
  healthCacheMs: 10_000,
  /**
   * The SMS webhook's check before a reply answers from the opt-out rows this instance last
   * read (lib/records/optOuts.ts): a STOP taken on another instance withholds this instance's
   * replies at most this long after it, and Twilio refuses a reply to an opted-out number anyway
   * (error 21610). Short enough that a STOP wins within seconds, long enough that a busy
   * instance asks storage for the changes about once per this many of its texts' milliseconds.
   */
  optOutReadFreshMs: 5_000,
  /**
   * An erasure or a cleanup run: thousands of deletions, in bounded transactions. Under the
   * 230 s after which Azure's front end drops an HTTP request; work left over is finished by
   * the next run (every step of both can be repeated).
   */
  maintenanceMs: 200_000,
} as const;

type Deadlines = { -readonly [name in keyof typeof PRODUCTION_DEADLINES]: number };
const current: Deadlines = { ...PRODUCTION_DEADLINES };

/** The deadlines in force: PRODUCTION_DEADLINES, everywhere but in a test that shortened them. */
export const DEADLINES: Readonly<Deadlines> = current;

/**
 * The knob for tests that wait a deadline out on purpose (storage frozen, Twilio silent): the
 * same code paths with shorter numbers, so such a test takes a second or two rather than ten.
 * Only tests call it (the app reads no setting for it, so Azure always runs the numbers
 * above); it answers the function that puts the production numbers back.
 */
export function shortenDeadlinesForTests(shorter: Partial<Deadlines>): () => void {
  Object.assign(current, shorter);
  return () => Object.assign(current, PRODUCTION_DEADLINES);
}

/**
 * The signal that ends one step's storage work when its deadline passes. One step makes a
 * dozen operations or more (a transaction's entities, retries), each listening to it: more than Node's
 * default of 10 listeners before it warns of a leak that is not one.
 */
export function storageDeadline(ms: number = DEADLINES.storageMs): AbortSignal {
  const signal = AbortSignal.timeout(ms);
  setMaxListeners(100, signal);
  return signal;
}

/** True for the error an aborted or timed-out operation ends with. */
export const isTimeout = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');

/**
 * `work`'s result, or the error `late()` makes once `signal` aborts first. Work still running
 * then is not waited for, and its later failure is ignored (the caller has answered already):
 * left unhandled, it would end the process.
 */
export async function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal, late: () => Error): Promise<T> {
  work.catch(() => {});
  let fail = () => {};
  const deadline = new Promise<never>((_, reject) => {
    fail = () => reject(late());
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    signal.removeEventListener('abort', fail);
  }
}
