/**
 * `npm run console:screenshots`: the console's browser tests (test/console) with their
 * screenshots written to docs/console/, which docs/console.md and the README show. A plain test
 * run writes them to .artifacts/console/ instead, so `npm test` never changes a tracked file.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';

const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const run = spawnSync(process.execPath, [vitest, 'run', 'test/console', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, CONSOLE_SCREENSHOTS: '1' },
});
process.exit(run.status ?? 1);
