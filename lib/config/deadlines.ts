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
export const DEADLINES = {
  /** All storage operations of one step of a request, retries included. */
  storageMs: 8_000,
  /** One Twilio REST request, from sending to the answer. */
  twilioRequestMs: 10_000,
  /** Health's storage probe, whose answer is kept for healthCacheMs. */
  healthProbeMs: 2_000,
  healthCacheMs: 10_000,
  /**
   * An erasure or a cleanup run: thousands of deletions, in bounded transactions. Under the
   * 230 s after which Azure's front end drops an HTTP request; work left over is finished by
   * the next run (every step of both can be repeated).
   */
  maintenanceMs: 200_000,
} as const;

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
