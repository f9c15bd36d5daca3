/**
 * The caller's side of one live call (the console's phone): what the caller does waits in a
 * queue for the verb that asks for it, and whoever polls the call hears of each change. Its own
 * file, below the REST resources that hold it (resources.ts) and the routes that feed it
 * (liveCalls.ts), so neither imports the other.
 */
import type { CallerAction, InputPrompt, LiveCaller } from '../interpreter/liveCaller';

/** Actions a caller may send ahead of the verb that takes them (keys pressed while a prompt is said). */
export const MAX_QUEUED_ACTIONS = 32;

/** The caller's side of a live call: actions wait in a queue for the verb that asks, and whoever polls hears of each change. */
export class LiveCall implements LiveCaller {
  waiting: InputPrompt | undefined;
  private readonly queued: CallerAction[] = [];
  private taker: ((action: CallerAction | undefined) => void) | undefined;
  private readonly watchers = new Set<() => void>();

  next(prompt: InputPrompt, signal?: AbortSignal): Promise<CallerAction | undefined> {
    const ready = this.queued.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const timer = setTimeout(() => take(undefined), Math.max(0, Date.parse(prompt.until) - Date.now()));
      const take = (action: CallerAction | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        this.taker = undefined;
        this.waiting = undefined;
        this.changed();
        resolve(action);
      };
      const aborted = () => take(undefined);
      if (signal?.aborted) return take(undefined);
      signal?.addEventListener('abort', aborted);
      this.taker = take;
      this.waiting = prompt;
      this.changed();
    });
  }

  /** Gives the waiting verb the action, or keeps it for the next one; false when too many wait already. */
  act(action: CallerAction): boolean {
    if (this.taker) this.taker(action);
    else if (this.queued.length >= MAX_QUEUED_ACTIONS) return false;
    else this.queued.push(action);
    return true;
  }

  get isWaiting(): boolean {
    return this.taker !== undefined;
  }

  /** Resolves at the next change (a transcript line, a wait begun or ended, the end), or after `ms`. */
  news(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.watchers.add(done);
    });
  }

  /** How many changes there have been: a poller that saw fewer has news, whether or not it was waiting then. */
  changes = 0;

  changed(): void {
    this.changes++;
    for (const watcher of [...this.watchers]) watcher();
  }
}
