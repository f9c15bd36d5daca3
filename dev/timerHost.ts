/**
 * Timer-triggered functions run locally as the Functions host runs them, from the same
 * registrations (`app.timer`): on their NCRONTAB schedule (six fields, seconds first, in UTC
 * unless WEBSITE_TIME_ZONE says otherwise), once at start too with runOnStartup, and never
 * twice at once. The schedule is parsed by croner, which reads the same six-field form.
 */
import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import { Cron } from 'croner';
import type { LogLine } from './logLine';

export interface TimerFunction {
  name: string;
  schedule: string;
  runOnStartup: boolean;
  handler: (timer: Timer, context: InvocationContext) => unknown;
}

export interface RunningTimerHost {
  close(): void;
}

export function startTimerHost({ functions, log }: { functions: TimerFunction[]; log: LogLine }): RunningTimerHost {
  const jobs = functions.map((fn) => {
    let last: Date | undefined;
    const job: Cron = new Cron(
      fn.schedule,
      { timezone: process.env.WEBSITE_TIME_ZONE ?? 'Etc/UTC', protect: true, paused: true },
      async () => {
        const now = new Date();
        const context = new InvocationContext({
          invocationId: randomUUID(),
          functionName: fn.name,
          logHandler: (level, ...args) => log(level, fn.name, args.map(String).join(' ')),
        });
        const timer: Timer = {
          isPastDue: false,
          schedule: { adjustForDST: false },
          scheduleStatus: {
            last: (last ?? now).toISOString(),
            next: (job.nextRun() ?? now).toISOString(),
            lastUpdated: now.toISOString(),
          },
        };
        last = now;
        try {
          await fn.handler(timer, context);
        } catch (error) {
          log('error', fn.name, `Executed (failed): ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    );
    if (fn.runOnStartup) void job.trigger();
    job.resume();
    return job;
  });
  return {
    close: () => jobs.forEach((job) => job.stop()),
  };
}
