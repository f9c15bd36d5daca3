/**
 * `npm run bench`: what the first webhook after a cold start costs, and what a warm one costs,
 * for the deployment package (`npm run package`) side by side with a naive port of the seed.
 *
 * Twilio gives a webhook 15 seconds in all, cold start included. Cold: fresh Node processes,
 * in pairs (the order alternates, so drift on a shared machine hits both), each answering
 * one signed inbound SMS and writing its record to the same Azurite; the wall time is from
 * spawn to the answer (what Twilio waits for; the worker never exits), and the CPU the
 * process had used by then is steadier when the machine is busy. Warm: one process per side
 * answers many, and reports CPU per request.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { recordKeys } from '../lib/records/entities';
import { RECORDS_TABLE } from '../lib/records/tables';
import { startAzurite } from './azurite';
import { BENCH_RESULT_PREFIX, NAIVE_TABLE, type BenchJob, type BenchResult, type SignedSms } from './bench/protocol';
import { APP_DIR, APP_ZIP } from './package';

const ROOT = resolve(__dirname, '../..');
const PAIRS = Number(process.env.BENCH_PAIRS ?? 15);
const WARM_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const WARM_ROUNDS = 3;
const WARMUP = 30;

const AUTH_TOKEN = 'bench-token';
const WEBHOOK_URL = 'http://localhost:7071/api/twilio/sms';
const REPLY = 'Hey, thanks for the ping! Twilio and Azure rock!';
const SETTINGS = {
  TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: '+15005550006',
};

interface Side {
  name: string;
  args: (jobFile: string) => string[];
}
const naive: Side = {
  name: 'naive port (twilio + @azure/data-tables)',
  args: (job) => [join(__dirname, 'bench', 'naive.js'), job],
};
const app: Side = {
  name: 'this app (.artifacts/app, as the worker)',
  args: (job) => [join(__dirname, 'bench', 'app.js'), job, APP_DIR],
};

interface Run {
  /** Spawn to the answer's arrival here, in milliseconds. */
  wall: number;
  result: BenchResult;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const mib = (kib: number) => kib / 1024;

function signedSms(): SignedSms {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const fields = {
    AccountSid: SETTINGS.TWILIO_ACCOUNT_SID,
    MessageSid: sid,
    From: '+15550001111',
    To: SETTINGS.TWILIO_PHONE_NUMBER,
    Body: 'hi',
  };
  return {
    sid,
    body: new URLSearchParams(fields).toString(),
    signature: getExpectedTwilioSignature(AUTH_TOKEN, WEBHOOK_URL, fields),
  };
}

/** Runs one side in a fresh process with nothing of this process's environment but PATH. */
function runSide(side: Side, job: BenchJob, folder: string, connectionString: string): Promise<Run> {
  const jobFile = join(folder, `${randomBytes(6).toString('hex')}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const env = { PATH: process.env.PATH, ...SETTINGS, AzureWebJobsStorage: connectionString };
  const started = performance.now();
  const child = spawn(process.execPath, side.args(jobFile), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
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
        return fail(new Error(`${side.name} exited ${code}: ${output.trim()}`));
      done({ wall: answered, result: JSON.parse(line.slice(BENCH_RESULT_PREFIX.length)) as BenchResult });
    });
  });
}

function packageSummary(): string {
  const files = readdirSync(APP_DIR);
  const bytes = files.reduce((sum, name) => sum + statSync(join(APP_DIR, name)).size, 0);
  return `${relative(ROOT, APP_ZIP)} ${mib(statSync(APP_ZIP).size / 1024).toFixed(2)} MiB; ${relative(ROOT, APP_DIR)}/ ${files.length} files, ${mib(bytes / 1024).toFixed(2)} MiB`;
}

function row(name: string, ...cells: string[]) {
  console.log(`  ${name.padEnd(44)}${cells.map((cell) => cell.padStart(14)).join('')}`);
}

/** Where a cold run's record must be: the table and the keys of the entity. */
interface Written {
  table: string;
  partitionKey: string;
  rowKey: string;
}

async function coldStart(folder: string, connectionString: string): Promise<Written[]> {
  const written: Written[] = [];
  const runs = new Map<Side, Run[]>([
    [naive, []],
    [app, []],
  ]);
  for (let pair = 0; pair < PAIRS; pair++) {
    for (const side of pair % 2 ? [app, naive] : [naive, app]) {
      const sms = signedSms();
      const job: BenchJob = {
        mode: 'cold',
        url: WEBHOOK_URL,
        authToken: AUTH_TOKEN,
        reply: REPLY,
        connectionString,
        warmup: 0,
        requests: [sms],
      };
      runs.get(side)!.push(await runSide(side, job, folder, connectionString));
      written.push(
        side === naive
          ? { table: NAIVE_TABLE, partitionKey: sms.sid, rowKey: 'message' }
          : { table: RECORDS_TABLE, ...recordKeys('message', sms.sid) },
      );
    }
  }
  const wall = (side: Side) => median(runs.get(side)!.map((run) => run.wall));
  const cpu = (side: Side) => median(runs.get(side)!.map((run) => run.result.cpuAtAnswer));
  const rss = (side: Side) => median(runs.get(side)!.map((run) => mib(run.result.maxRssKiB)));
  console.log(
    `\nCold start: a fresh process answers one signed inbound SMS, record included (${PAIRS} pairs, medians)`,
  );
  row('', 'wall', 'CPU', 'peak memory');
  for (const side of [naive, app])
    row(side.name, `${wall(side).toFixed(1)} ms`, `${cpu(side).toFixed(1)} ms`, `${rss(side).toFixed(1)} MiB`);
  row(
    'ratio (goal: wall ≤ 0.6×, memory ≤ 1×)',
    `${(wall(app) / wall(naive)).toFixed(2)}×`,
    `${(cpu(app) / cpu(naive)).toFixed(2)}×`,
    `${(rss(app) / rss(naive)).toFixed(2)}×`,
  );
  return written;
}

async function warm(folder: string, connectionString: string): Promise<void> {
  const runs = new Map<Side, Run[]>([
    [naive, []],
    [app, []],
  ]);
  for (let round = 0; round < WARM_ROUNDS; round++) {
    for (const side of round % 2 ? [app, naive] : [naive, app]) {
      const requests = Array.from({ length: WARMUP + WARM_REQUESTS }, signedSms);
      const job: BenchJob = {
        mode: 'warm',
        url: WEBHOOK_URL,
        authToken: AUTH_TOKEN,
        reply: REPLY,
        connectionString,
        warmup: WARMUP,
        requests,
      };
      runs.get(side)!.push(await runSide(side, job, folder, connectionString));
    }
  }
  const cpu = (side: Side) => median(runs.get(side)!.map((run) => run.result.cpuPerRequest!));
  const latency = (side: Side) => median(runs.get(side)!.map((run) => run.result.wallPerRequest!));
  const calls = (side: Side) => median(runs.get(side)!.map((run) => run.result.callsPerRequest!));
  console.log(
    `\nWarm: the same webhook in-process, ${WARM_REQUESTS} sequential requests after ${WARMUP} (median of ${WARM_ROUNDS} processes)`,
  );
  row('', 'CPU/request', 'wall/request', 'storage calls');
  for (const side of [naive, app])
    row(side.name, `${cpu(side).toFixed(3)} ms`, `${latency(side).toFixed(3)} ms`, calls(side).toFixed(1));
  row(
    'ratio (goal: CPU ≤ 1×)',
    `${(cpu(app) / cpu(naive)).toFixed(2)}×`,
    `${(latency(app) / latency(naive)).toFixed(2)}×`,
    `${(calls(app) / calls(naive)).toFixed(1)}×`,
  );
}

/** Every cold run's record is in storage: a run that answered without recording would flatter its side. */
async function checkRecorded(connectionString: string, written: Written[]): Promise<void> {
  for (const { table, partitionKey, rowKey } of written) {
    const client = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
    await client.getEntity(partitionKey, rowKey).catch((error: unknown) => {
      throw new Error(`No record in ${table} at ${partitionKey}/${rowKey}`, { cause: error });
    });
  }
}

async function main() {
  console.log(`Package: ${packageSummary()}`);
  console.log(
    `Node ${process.version}; storage: an in-memory Azurite of this bench's own; tables created beforehand, as Bicep does in Azure.`,
  );
  const azurite = await startAzurite({ services: 'app' });
  const folder = mkdtempSync(join(tmpdir(), 'bench-'));
  try {
    for (const table of [NAIVE_TABLE, RECORDS_TABLE]) {
      await TableClient.fromConnectionString(azurite.connectionString, table, {
        allowInsecureConnection: true,
      }).createTable();
    }
    const written = await coldStart(folder, azurite.connectionString);
    await checkRecorded(azurite.connectionString, written);
    await warm(folder, azurite.connectionString);
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
