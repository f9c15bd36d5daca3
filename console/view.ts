/** What the router shows: an element, and what to stop (polling) when it is replaced. */
export interface View {
  root: HTMLElement;
  stop(): void;
}

/** Runs `tick` again and again, `delay()` ms apart, until stopped; a tick finishes before the next is planned. */
export function every(delay: () => number, tick: () => Promise<unknown>): () => void {
  let timer: number | undefined;
  let stopped = false;
  const plan = () => {
    if (!stopped) timer = window.setTimeout(() => void tick().finally(plan), delay());
  };
  plan();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
