import { describe, expect, it } from 'vitest';
import {
  beforeDeadline,
  DEADLINES,
  isTimeout,
  PRODUCTION_DEADLINES as P,
  shortenDeadlinesForTests,
  storageDeadline,
} from '../../../lib/config/deadlines';

/** Twilio plays "an application error has occurred" (11200) when a webhook takes longer. */
const TWILIO_WEBHOOK_MS = 15_000;
/** Left for what no deadline bounds: the request to and from Azure, the function's own work. */
const MARGIN_MS = 1_000;

describe('deadlines: every webhook answers inside Twilio’s 15 s, whatever it depends on', () => {
  it('answers a plain webhook (one storage step) inside 10 s', () => {
    expect(P.storageMs).toBeLessThanOrEqual(10_000);
  });

  it('answers a flow turn inside 15 s when the owner’s system hangs and storage is slow too', () => {
    // Reading the variables and the logic actions share flowTurnMs (the budget starts before the
    // read); then the turn is recorded (one storage step) and the variables saved (flowStateMs).
    const worst = P.flowTurnMs + P.storageMs + P.flowStateMs;
    expect(worst).toBeLessThanOrEqual(TWILIO_WEBHOOK_MS - MARGIN_MS);
  });

  it('gives a logic action a default deadline no longer than its maximum', () => {
    expect(P.flowActionMs).toBeLessThanOrEqual(P.flowActionMaxMs);
    expect(P.flowStateMs).toBeLessThan(P.storageMs);
  });

  it('takes a queued send as dead only after its storage and Twilio deadlines have passed', () => {
    expect(P.queuedInFlightMs).toBeGreaterThan(2 * P.storageMs + P.twilioRequestMs);
  });

  it('keeps health’s probe shorter than a webhook’s storage step', () => {
    expect(P.healthProbeMs).toBeLessThan(P.storageMs);
  });
});

describe('deadlines: the knob for tests', () => {
  it('shortens the deadlines in force and puts the production numbers back', () => {
    const restore = shortenDeadlinesForTests({ storageMs: 50, flowTurnMs: 10 });
    expect(DEADLINES.storageMs).toBe(50);
    expect(DEADLINES.flowTurnMs).toBe(10);
    expect(DEADLINES.twilioRequestMs).toBe(P.twilioRequestMs);
    restore();
    expect(DEADLINES).toEqual(P);
  });

  it('ends storage work when its deadline passes, with an error isTimeout knows', async () => {
    const signal = storageDeadline(20);
    expect(signal.aborted).toBe(false);
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    expect(isTimeout(signal.reason)).toBe(true);
    const controller = new AbortController();
    controller.abort();
    expect(isTimeout(controller.signal.reason)).toBe(true);
    expect(isTimeout(new Error('refused'))).toBe(false);
    expect(isTimeout('TimeoutError')).toBe(false);
  });

  it('lets one step’s many storage operations listen without a leak warning', () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const signal = storageDeadline();
    for (let i = 0; i < 50; i++) signal.addEventListener('abort', () => undefined);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        process.off('warning', onWarning);
        expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
        resolve();
      }),
    );
  });
});

describe('beforeDeadline', () => {
  it('answers the work when it ends first, and the error of its deadline when that passes first', async () => {
    expect(await beforeDeadline(Promise.resolve('done'), AbortSignal.timeout(1_000), () => new Error('late'))).toBe(
      'done',
    );
    const slow = new Promise((resolve) => setTimeout(resolve, 1_000));
    await expect(beforeDeadline(slow, AbortSignal.timeout(20), () => new Error('late'))).rejects.toThrow('late');
    const passed = AbortSignal.abort();
    await expect(beforeDeadline(slow, passed, () => new Error('already late'))).rejects.toThrow('already late');
  });

  it('leaves no listener behind, and a failure after the deadline is no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    try {
      const controller = new AbortController();
      await beforeDeadline(Promise.resolve(1), controller.signal, () => new Error('late'));
      controller.abort(); // the deadline passing after the work ended rejects nothing
      const failsLater = new Promise((_, reject) => setTimeout(() => reject(new Error('too late')), 30));
      await expect(beforeDeadline(failsLater, AbortSignal.timeout(5), () => new Error('late'))).rejects.toThrow('late');
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', note);
    }
  });
});
