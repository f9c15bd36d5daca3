/**
 * `npm run bench`: what the first SMS webhook after a cold start costs, and what a warm one
 * costs, for four rows measured in one interleaved run (docs/capacity.md#the-bench): the floor
 * (the least an app on this programming model can do), the fair naive port of the seed, the
 * same port writing what the app writes, and the package (`npm run package`).
 *
 * Twilio gives a webhook 15 seconds in all, cold start included. Cold: fresh Node processes,
 * one per row a round, the order rotating each round so drift on a shared machine hits every
 * row alike, each answering one signed inbound SMS through the same worker stand-in
 * (dev/bench/worker.ts) against one Azurite; the wall time is from spawn to the answer (what
 * Twilio waits for; the worker never exits), and the CPU the process had used by then is
 * steadier when the machine is busy. Warm: one process per row answers many, one at a time.
 *
 * Then the same, cold and warm, for the app's SMS and voice webhooks with the default flow and
 * with dev/bench/features.json (variables, switch, a code hook, Liquid filters), against the
 * floor; `--ports-only` leaves that out.
 *
 * Rounds: `--rounds N` or BENCH_ROUNDS (cold, default 20); `--requests N` or BENCH_REQUESTS
 * (warm requests a process, default 300); `--warm N` or BENCH_WARM (warm processes a row,
 * default 3). `npm run bench -- --rounds 5 --requests 100 --warm 1` takes under a minute.
 * `--imports` measures instead what each module's top level costs in the app's cold start
 * (dev/bench/imports.ts), over the same number of rounds.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { build } from 'esbuild';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { RECORDS_TABLE } from '../lib/records/tables';
import { checkRecorded, type Written } from './bench/check';
import { buildMarked, printModuleCpu } from './bench/imports';
import {
  BENCH_RESULT_PREFIX,
  NAIVE_TABLE,
  SAME_WORK_TABLE,
  type BenchJob,
  type BenchResult,
  type SignedSms,
} from './bench/protocol';
import { startAzurite } from './azurite';
import { APP_DIR, APP_ZIP, ARTIFACTS, BUNDLE_OPTIONS, writeCheckedFlows } from './package';
import { CHECKED_FLOWS } from '../lib/flows/load';

const ROOT = resolve(__dirname, '../..');
const FLOOR_DIR = join(ARTIFACTS, 'bench-floor');
const MARKED_DIR = join(ARTIFACTS, 'bench-marked');

function option(flag: string, env: string, fallback: number): number {
  const at = process.argv.indexOf(`--${flag}`);
  const value = Number(at >= 0 ? process.argv[at + 1] : (process.env[env] ?? fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} / ${env} must be a whole number ≥ 1`);
  return value;
}
const ROUNDS = option('rounds', 'BENCH_ROUNDS', 20);
const WARM_REQUESTS = option('requests', 'BENCH_REQUESTS', 300);
const WARM_PROCESSES = option('warm', 'BENCH_WARM', 3);
const WARMUP = 30;

const WEBHOOK_URL = 'http://localhost:7071/api/twilio/sms';
const VOICE_URL = 'http://localhost:7071/api/twilio/voice';
/** The flow with this round's features (variables, switch, a code hook, Liquid filters): item 4 of issue 25. */
const FEATURES_FLOW = 'dev/bench/features.json';
/** Where the bench puts it in the package, checked as npm run package checks the flow file it ships. */
const FEATURES_IN_PACKAGE = 'flows/bench-features.json';
/** The app's rows run as in Azure, where the Functions host names the package in AzureWebJobsScriptRoot. */
const IN_PACKAGE = { AzureWebJobsScriptRoot: APP_DIR };
const SETTINGS = {
  TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
  TWILIO_AUTH_TOKEN: 'bench-token',
  TWILIO_PHONE_NUMBER: '+15005550006',
};

/** A webhook a row is sent: its function, its URL, a signed request, and what every answer holds. */
interface Webhook {
  name: string;
  url: string;
  request: () => SignedSms;
  answerHolds: string;
}

interface Row {
  name: string;
  /** What the worker stand-in loads: a folder with a package.json, or a module. */
  app: string;
  /** Where the row keeps an SMS, for checkRecorded; the floor keeps nothing. */
  writes?: (sid: string) => Written;
  /** An inbound SMS unless it says otherwise. */
  webhook?: Webhook;
  /** Settings beyond SETTINGS (a flow file). */
  env?: Record<string, string>;
}
const floor: Row = { name: 'floor (@azure/functions, constant TwiML)', app: FLOOR_DIR };
const fairNaive: Row = {
  name: 'fair naive port (one entity)',
  app: join(__dirname, 'bench', 'fairNaive.js'),
  writes: (sid) => ({ kind: 'one entity', table: NAIVE_TABLE, sid }),
};
const sameWork: Row = {
  name: 'fair naive port, the app’s 8 entities',
  app: join(__dirname, 'bench', 'sameWork.js'),
  writes: (sid) => ({ kind: 'record', table: SAME_WORK_TABLE, sid }),
};
const theApp: Row = {
  name: 'this app (.artifacts/app)',
  app: APP_DIR,
  writes: (sid) => ({ kind: 'record', table: RECORDS_TABLE, sid }),
  env: IN_PACKAGE,
};

/**
 * One interleaved run: its rows, and the comparisons printed under each table (a label, and
 * the value compared from a measure's value for each row).
 */
interface Section {
  title: string;
  rows: Row[];
  comparisons: Array<[label: string, compare: (value: (row: Row) => number) => number, kind: 'ratio' | 'difference']>;
}

const ports: Section = {
  title: 'an inbound SMS, the app against the floor and the ports',
  rows: [floor, fairNaive, sameWork, theApp],
  comparisons: [
    ['app / fair naive port', (v) => v(theApp) / v(fairNaive), 'ratio'],
    ['app / the port doing the same work', (v) => v(theApp) / v(sameWork), 'ratio'],
    ['app − floor', (v) => v(theApp) - v(floor), 'difference'],
  ],
};

function byFlow(channel: 'SMS' | 'call', webhook: Webhook | undefined, flow: string, env = {}): Row {
  return {
    name: `this app, ${channel}, ${flow}`,
    app: APP_DIR,
    ...(webhook ? { webhook } : {}),
    env: { ...IN_PACKAGE, ...env },
  };
}
const smsPlain = byFlow('SMS', undefined, 'flows.json (a reply)');
const smsFeatures = byFlow('SMS', undefined, 'features.json', { PHONE_FLOWS: FEATURES_IN_PACKAGE });
const callPlain = byFlow('call', callWebhook(), 'flows.json (a greeting)');
const callFeatures = byFlow('call', callWebhook(), 'features.json', { PHONE_FLOWS: FEATURES_IN_PACKAGE });

const features: Section = {
  title:
    'the app’s SMS and voice webhooks, with the default flow and with one using set, switch, a code hook and Liquid filters',
  rows: [floor, smsPlain, smsFeatures, callPlain, callFeatures],
  comparisons: [
    ['SMS: features − flows.json', (v) => v(smsFeatures) - v(smsPlain), 'difference'],
    ['call: features − flows.json', (v) => v(callFeatures) - v(callPlain), 'difference'],
    ['SMS, features − floor', (v) => v(smsFeatures) - v(floor), 'difference'],
    ['call, features − floor', (v) => v(callFeatures) - v(floor), 'difference'],
  ],
};

/** Round r runs the rows from the r-th on, so each row is as often first, second… */
const rotated = (rows: Row[], round: number) => rows.map((_, index) => rows[(index + round) % rows.length]!);

interface Run {
  /** Spawn to the answer's arrival here, in milliseconds. */
  wall: number;
  result: BenchResult;
}

const sortedOf = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => {
  const sorted = sortedOf(values);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
/** The nearest-rank 90th percentile. */
const p90 = (values: number[]) => sortedOf(values)[Math.ceil(values.length * 0.9) - 1]!;
const mib = (kib: number) => kib / 1024;

/** A signed webhook from +15550001111 to our number, with a new SID (`<prefix>…`) as `sidField`, then `fields`. */
function signed(url: string, prefix: 'SM' | 'CA', sidField: string, fields: Record<string, string>): SignedSms {
  const sid = `${prefix}${randomBytes(16).toString('hex')}`;
  const form = {
    AccountSid: SETTINGS.TWILIO_ACCOUNT_SID,
    [sidField]: sid,
    From: '+15550001111',
    To: SETTINGS.TWILIO_PHONE_NUMBER,
    ...fields,
  };
  return {
    sid,
    body: new URLSearchParams(form).toString(),
    signature: getExpectedTwilioSignature(SETTINGS.TWILIO_AUTH_TOKEN, url, form),
  };
}

function signedSms(): SignedSms {
  return signed(WEBHOOK_URL, 'SM', 'MessageSid', { Body: 'hi' });
}

/** An incoming call, as Twilio first asks the voice webhook about it. */
function callWebhook(): Webhook {
  const request = () => signed(VOICE_URL, 'CA', 'CallSid', { CallStatus: 'ringing', Direction: 'inbound' });
  return { name: 'voiceWebhook', url: VOICE_URL, request, answerHolds: '<Say' };
}

const SMS_WEBHOOK: Webhook = { name: 'smsWebhook', url: WEBHOOK_URL, request: signedSms, answerHolds: '<Message>' };

/** Runs one row in a fresh process with nothing of this process's environment but PATH. */
function runRow(row: Row, job: BenchJob, folder: string, connectionString: string, extraEnv = {}): Promise<Run> {
  const jobFile = join(folder, `${randomBytes(6).toString('hex')}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const env = { PATH: process.env.PATH, ...SETTINGS, AzureWebJobsStorage: connectionString, ...row.env, ...extraEnv };
  const args = [join(__dirname, 'bench', 'worker.js'), jobFile, row.app];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  let answered: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (answered === undefined && output.includes(BENCH_RESULT_PREFIX)) answered = performance.now() - started;
  });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => {
      const line = output.split('\n').find((l) => l.startsWith(BENCH_RESULT_PREFIX));
      if (code !== 0 || !line || answered === undefined)
        return fail(new Error(`${row.name} exited ${code}: ${output.trim()}`));
      done({ wall: answered, result: JSON.parse(line.slice(BENCH_RESULT_PREFIX.length)) as BenchResult });
    });
  });
}

function packageSummary(): string {
  const files = readdirSync(APP_DIR, { recursive: true, encoding: 'utf8' }).filter((name) =>
    statSync(join(APP_DIR, name)).isFile(),
  );
  const bytes = files.reduce((sum, name) => sum + statSync(join(APP_DIR, name)).size, 0);
  const code = files
    .filter((name) => name.endsWith('.mjs'))
    .reduce((sum, name) => sum + statSync(join(APP_DIR, name)).size, 0);
  return `${relative(ROOT, APP_ZIP)} ${mib(statSync(APP_ZIP).size / 1024).toFixed(2)} MiB; ${relative(ROOT, APP_DIR)}/ ${files.length} files, ${mib(bytes / 1024).toFixed(2)} MiB, of which code (.mjs) ${(code / 1024).toFixed(0)} KiB`;
}

const NAME_WIDTH = 42;
function line(name: string, ...cells: string[]) {
  console.log(`  ${name.padEnd(NAME_WIDTH)}${cells.map((cell) => cell.padStart(11)).join('')}`);
}
const times = (value: number) => `${value.toFixed(2)}×`;

interface Measure {
  of: (row: Row) => number;
  unit: 'ms' | 'MiB';
  digits: number;
}
const show = (value: number, { unit, digits }: Measure) => `${value.toFixed(digits)} ${unit}`;
const difference = (value: number, { unit, digits }: Measure) =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)} ${unit}`;

/** Each row of the section on each measure, then its comparisons. */
function table(section: Section, headings: string[], measures: Measure[], extra?: (row: Row) => string): void {
  line('', ...headings);
  for (const row of section.rows)
    line(row.name, ...measures.map((m) => show(m.of(row), m)), ...(extra ? [extra(row)] : []));
  for (const [label, compare, kind] of section.comparisons)
    line(label, ...measures.map((m) => (kind === 'ratio' ? times(compare(m.of)) : difference(compare(m.of), m))));
}

function job(row: Row, mode: BenchJob['mode'], count: number, warmup: number): BenchJob {
  const webhook = row.webhook ?? SMS_WEBHOOK;
  const requests = Array.from({ length: count }, webhook.request);
  return { mode, url: webhook.url, webhook: webhook.name, answerHolds: webhook.answerHolds, warmup, requests };
}

async function coldStart(section: Section, folder: string, connectionString: string): Promise<Written[]> {
  const written: Written[] = [];
  const runs = new Map<Row, Run[]>(section.rows.map((row) => [row, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of rotated(section.rows, round)) {
      const cold = job(row, 'cold', 1, 0);
      runs.get(row)!.push(await runRow(row, cold, folder, connectionString));
      if (row.writes) written.push(row.writes(cold.requests[0]!.sid));
    }
  }
  const all = (row: Row, measure: (run: Run) => number) => runs.get(row)!.map(measure);
  const cold = (measure: (run: Run) => number, unit: Measure['unit'] = 'ms'): Measure[] => [
    { of: (row) => median(all(row, measure)), unit, digits: 1 },
    { of: (row) => p90(all(row, measure)), unit, digits: 1 },
  ];
  console.log(`\nCold start, ${section.title}: a fresh process answers one request (${ROUNDS} rounds, interleaved)`);
  table(
    section,
    ['wall', 'wall p90', 'CPU', 'CPU p90', 'peak RSS', 'RSS p90'],
    [
      ...cold((run) => run.wall),
      ...cold((run) => run.result.cpuAtAnswer),
      ...cold((run) => mib(run.result.maxRssKiB), 'MiB'),
    ],
  );
  return written;
}

async function warm(section: Section, folder: string, connectionString: string): Promise<void> {
  const runs = new Map<Row, Run[]>(section.rows.map((row) => [row, []]));
  for (let round = 0; round < WARM_PROCESSES; round++) {
    for (const row of rotated(section.rows, round)) {
      runs
        .get(row)!
        .push(await runRow(row, job(row, 'warm', WARMUP + WARM_REQUESTS, WARMUP), folder, connectionString));
    }
  }
  const of = (row: Row, measure: (result: BenchResult) => number) =>
    median(runs.get(row)!.map((run) => measure(run.result)));
  console.log(
    `\nWarm, ${section.title}: ${WARM_REQUESTS} sequential requests after ${WARMUP} in one process (median of ${WARM_PROCESSES} process${WARM_PROCESSES === 1 ? '' : 'es'})`,
  );
  table(
    section,
    ['CPU/req', 'wall/req', 'calls/req'],
    [
      { of: (row) => of(row, (result) => result.cpuPerRequest!), unit: 'ms', digits: 3 },
      { of: (row) => of(row, (result) => result.wallPerRequest!), unit: 'ms', digits: 3 },
    ],
    (row) => of(row, (result) => result.callsPerRequest!).toFixed(1),
  );
}

/** `--imports`: the app bundled with import marks, cold, ROUNDS times. */
async function importCost(folder: string, connectionString: string): Promise<void> {
  await buildMarked(ROOT, MARKED_DIR);
  const marked: Row = { name: 'this app, with import marks', app: MARKED_DIR };
  const runs: Array<Record<string, number>> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const run = await runRow(marked, job(marked, 'cold', 1, 0), folder, connectionString, { BENCH_MARKS: '1' });
    runs.push(run.result.moduleCpu ?? {});
  }
  printModuleCpu(runs);
}

/** The floor, bundled the way the package is. */
async function buildFloor(): Promise<void> {
  rmSync(FLOOR_DIR, { recursive: true, force: true });
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'dev', 'bench', 'floor.ts')], outdir: FLOOR_DIR });
  writeFileSync(join(FLOOR_DIR, 'package.json'), JSON.stringify({ main: 'floor.mjs' }));
}

const load = () =>
  `load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(', ')}`;

/** The features flow in the package, as if PHONE_FLOWS had named it at npm run package. */
function shipFeaturesFlow(): void {
  copyFileSync(join(ROOT, FEATURES_FLOW), join(APP_DIR, FEATURES_IN_PACKAGE));
  const shipped = Object.keys(JSON.parse(readFileSync(join(APP_DIR, CHECKED_FLOWS), 'utf8')) as object);
  writeCheckedFlows(APP_DIR, [...shipped, FEATURES_IN_PACKAGE]);
}

async function main() {
  await buildFloor();
  console.log(`Package: ${packageSummary()}`);
  shipFeaturesFlow();
  console.log(`Node ${process.version}; ${load()}; storage: an in-memory Azurite of this bench's own.`);
  const azurite = await startAzurite({ services: 'app' });
  const folder = mkdtempSync(join(tmpdir(), 'bench-'));
  try {
    for (const table of [NAIVE_TABLE, SAME_WORK_TABLE, RECORDS_TABLE]) {
      await TableClient.fromConnectionString(azurite.connectionString, table, {
        allowInsecureConnection: true,
      }).createTable();
    }
    if (process.argv.includes('--imports')) {
      await importCost(folder, azurite.connectionString);
      return;
    }
    const written = await coldStart(ports, folder, azurite.connectionString);
    await checkRecorded(azurite.connectionString, written);
    await warm(ports, folder, azurite.connectionString);
    if (!process.argv.includes('--ports-only')) {
      await coldStart(features, folder, azurite.connectionString);
      await warm(features, folder, azurite.connectionString);
    }
    console.log(`\nAt the end: ${load()}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
