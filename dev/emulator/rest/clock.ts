/**
 * The emulator's clock: every call and message runs as a job started here, so stopping the
 * emulator first cancels what has not started, then aborts what runs (their webhooks see the
 * signal) and waits for it. Nothing is posted after stop() has begun.
 */
export class Clock {
  private readonly stopping = new AbortController();
  /** Jobs not started yet: their timer, and what releases them. */
  private readonly pending = new Map<NodeJS.Timeout, () => void>();
  private readonly jobs = new Map<string, Promise<void>>();

  constructor(private readonly onError: (sid: string, error: unknown) => void) {}

  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Runs `job` for the resource `sid` after `delayMs`, at the soonest on a later turn (after the REST answer has been sent). */
  start(sid: string, job: () => Promise<void>, delayMs = 0): void {
    let started!: () => void;
    const begun = new Promise<void>((resolve) => (started = resolve));
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      started();
    }, delayMs);
    this.pending.set(timer, started);
    const run = begun
      .then(() => (this.stopped ? undefined : job()))
      .catch((error: unknown) => this.onError(sid, error));
    this.jobs.set(sid, run);
  }

  /** The running job of `sid`, if any; resolves when it has ended. */
  job(sid: string): Promise<void> | undefined {
    return this.jobs.get(sid);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    // Released after the abort, a job that had not started ends without running.
    for (const [timer, release] of this.pending) {
      clearTimeout(timer);
      release();
    }
    this.pending.clear();
    await Promise.all(this.jobs.values());
  }
}
