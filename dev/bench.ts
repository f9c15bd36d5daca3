/**
 * `npm run bench`: what cold start costs, and how fast a warm webhook answers.
 *
 * Twilio gives a webhook 15 seconds in all, cold start included, so the numbers that
 * matter are the time to load the app (every function file, as the Functions host loads
 * them) against loading the whole `twilio` package, and the webhook latency once warm.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { startAzurite } from './azurite';
import { functionFiles, loadFunctions, routePrefix, startHost } from './functionsHost';

const ROOT = resolve(__dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 500);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

/** Milliseconds a fresh Node process spends running `script`, timed inside it. */
function coldLoad(script: string): number {
  const timed = `const t=process.hrtime.bigint();${script};process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  return Number(execFileSync(process.execPath, ['-e', timed], { cwd: ROOT, encoding: 'utf8' }));
}

function coldStart() {
  const files = JSON.stringify(functionFiles(ROOT));
  const host = JSON.stringify(join(__dirname, 'functionsHost.js'));
  const scripts = {
    "require('twilio')": "require('twilio')",
    'all function files': `require(${host}).installCoreApi();for(const f of ${files})require(f)`,
    'all function files + table client (webhook)': `require(${host}).installCoreApi();for(const f of ${files})require(f);require('@azure/data-tables')`,
    'all function files + first REST client': `require(${host}).installCoreApi();for(const f of ${files})require(f);require('twilio')('AC00000000000000000000000000000000','x')`,
  };
  console.log(`Cold load in a fresh process, median of ${RUNS} runs:`);
  for (const [name, script] of Object.entries(scripts)) {
    const runs = Array.from({ length: RUNS }, () => coldLoad(script));
    console.log(`  ${name.padEnd(40)} ${median(runs).toFixed(1).padStart(7)} ms   (min ${Math.min(...runs).toFixed(1)}, max ${Math.max(...runs).toFixed(1)})`);
  }
}

/** Each webhook records the call before it answers: against an in-memory Azurite of its own, unless AzureWebJobsStorage is set. */
async function warmWebhook() {
  const token = 'bench-token';
  const azurite = process.env.AzureWebJobsStorage ? undefined : await startAzurite({ services: 'table' });
  Object.assign(process.env, {
    TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
    TWILIO_AUTH_TOKEN: token,
    TWILIO_PHONE_NUMBER: '+15005550006',
    AzureWebJobsStorage: process.env.AzureWebJobsStorage ?? azurite?.connectionString,
  });
  const functions = await loadFunctions(functionFiles(ROOT));
  const host = await startHost({ functions, prefix: routePrefix(ROOT), log: (level, name, message) => level === 'error' && console.error(`${name}: ${message}`) });
  const url = `${host.url}/api/twilio/voice`;
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const fields = { CallSid: `CA${(Date.now() * 1000 + i).toString(16).padStart(32, '0')}`, From: '+15550001111', To: '+15005550006', CallStatus: 'ringing' };
    const t = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': getExpectedTwilioSignature(token, url, fields) },
      body: new URLSearchParams(fields),
    });
    const body = await response.text();
    latencies.push(performance.now() - t);
    if (response.status !== 200 && failures++ === 0) console.error(`First failure: ${response.status} ${body}`);
  }
  const seconds = (performance.now() - started) / 1000;
  await host.close();
  await azurite?.stop();
  console.log(`\nWarm voice webhook over HTTP through the local host, recorded in ${azurite ? 'Azurite' : 'AzureWebJobsStorage'}, ${REQUESTS} sequential requests:`);
  console.log(`  p50 ${percentile(latencies, 0.5).toFixed(2)} ms   p95 ${percentile(latencies, 0.95).toFixed(2)} ms   p99 ${percentile(latencies, 0.99).toFixed(2)} ms   ${(REQUESTS / seconds).toFixed(0)} req/s   non-200: ${failures}`);
}

async function main() {
  coldStart();
  await warmWebhook();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
