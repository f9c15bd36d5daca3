/**
 * What the bench hands its child processes and what they answer. The children load nothing
 * of the repository but this file (a few constants and runJob), so each measures only what
 * its row runs.
 */
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';

/** One signed webhook request (an inbound SMS, or a call), as Twilio would POST it. */
export interface SignedSms {
  sid: string;
  body: string;
  signature: string;
}

export interface BenchJob {
  /** `cold`: answer the first request and exit; `warm`: answer them all, then report CPU per request. */
  mode: 'cold' | 'warm';
  /** The webhook's public URL, as the host gives it to the function (the signature covers it). */
  url: string;
  /** The function that answers (smsWebhook unless the job says voiceWebhook), and what every answer holds. */
  webhook: string;
  answerHolds: string;
  /** Requests not counted in `warm` (JIT, connection pool). */
  warmup: number;
  requests: SignedSms[];
}

export interface BenchResult {
  /** Milliseconds since this process started (performance.timeOrigin), when the answer was ready. */
  answeredAt: number;
  /** CPU (user + system) this process had used by then, in milliseconds: steadier than wall time on a busy machine. */
  cpuAtAnswer: number;
  /** Peak resident memory, KiB (process.resourceUsage().maxRSS). */
  maxRssKiB: number;
  /** `warm` only: user+system CPU and wall time per counted request, in milliseconds. */
  cpuPerRequest?: number;
  wallPerRequest?: number;
  /** HTTP requests this process sent (to storage) per counted request. */
  callsPerRequest?: number;
  /** With BENCH_MARKS=1 and a build with import marks (imports.ts): CPU ms of each module's top level, by package or file. */
  moduleCpu?: Record<string, number>;
}

/** The table the fair naive port writes its one entity to. */
export const NAIVE_TABLE = 'NaiveMessages';
/** The table the same-work port writes the app's eight entities to, under the app's keys. */
export const SAME_WORK_TABLE = 'NaiveRecords';
/** What the ports answer, as the seed's SMS_REPLY; the bench checks only that an answer holds a <Message>. */
export const NAIVE_REPLY = 'Hey, thanks for the ping! Twilio and Azure rock!';

export const BENCH_RESULT_PREFIX = 'BENCH_RESULT ';

/** Runs the job's requests through `answer`, checks each answer, and prints the result line. */
export async function runJob(
  job: BenchJob,
  answer: (request: SignedSms) => Promise<{ status: number; body: string }>,
): Promise<void> {
  const check = async (request: SignedSms) => {
    const response = await answer(request);
    if (response.status !== 200 || !response.body.includes(job.answerHolds)) {
      throw new Error(`${request.sid}: answered ${response.status} ${response.body}`);
    }
  };
  const result: BenchResult = { answeredAt: 0, cpuAtAnswer: 0, maxRssKiB: 0 };
  if (job.mode === 'cold') {
    await check(job.requests[0]!);
    result.answeredAt = performance.now();
    const cpu = process.cpuUsage();
    result.cpuAtAnswer = (cpu.user + cpu.system) / 1000;
  } else {
    for (const request of job.requests.slice(0, job.warmup)) await check(request);
    const counted = job.requests.slice(job.warmup);
    let calls = 0;
    subscribe('http.client.request.start', () => calls++);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const request of counted) await check(request);
    const used = process.cpuUsage(cpu);
    result.wallPerRequest = (performance.now() - started) / counted.length;
    result.cpuPerRequest = (used.user + used.system) / 1000 / counted.length;
    result.callsPerRequest = calls / counted.length;
    result.answeredAt = performance.now();
  }
  result.maxRssKiB = process.resourceUsage().maxRSS;
  result.moduleCpu = (globalThis as { benchModuleCpu?: Record<string, number> }).benchModuleCpu;
  process.stdout.write(`${BENCH_RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** The job, from the file named by the first argument. */
export const readJob = (): BenchJob => JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as BenchJob;

/** Runs a child's main; a failure exits non-zero so the bench stops with its message. */
export function runChild(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
