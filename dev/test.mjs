/**
 * `npm test`: the type check, the lint and the whole vitest suite, run side by side rather than
 * one after the other. Each is one process on one core for most of its time (tsc, eslint and
 * prettier are single-threaded; vitest's files mostly wait on HTTP and child processes), so on
 * two cores they overlap instead of adding up. vitest's output streams as it runs; the checks'
 * output is printed when they end. The exit code is non-zero when any of them fails. Arguments
 * go to vitest: `npm test -- test/flows` still checks types and lint, then only those files.
 * Plain JavaScript, like build-if-stale.mjs: it runs before anything is compiled.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

/** Runs a command; resolves with its exit code and, unless it streams, what it printed. */
function run(command, args, { stream = false } = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: stream ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout?.on('data', (chunk) => output.push(chunk));
    child.stderr?.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => done({ code: 1, output: String(error) }));
    child.on('close', (code, signal) =>
      done({ code: code ?? (signal ? 1 : 0), output: Buffer.concat(output).toString() }),
    );
  });
}

const checks = [
  ['typecheck', run(npm, ['run', '--silent', 'typecheck'])],
  ['lint', run(npm, ['run', '--silent', 'lint'])],
];
const vitest = await run(process.execPath, [vitestBin, 'run', ...process.argv.slice(2)], { stream: true });
let failed = vitest.code !== 0;
for (const [name, pending] of checks) {
  const { code, output } = await pending;
  process.stdout.write(`\n${name}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`}\n`);
  if (code !== 0) {
    process.stdout.write(output);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
