import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Files that put the app under many requests at once and hold it to a deadline: the load tests,
 * records.test.ts, whose 50 parallel callbacks for one call all write one record through the
 * shared Azurite, and the soak test, which sends hundreds of requests and weighs the heap. They
 * run last, one at a time, so the rest of the suite does not starve them.
 */
const LOAD_TESTS = ['test/**/*.load.test.ts', 'test/functions/records.test.ts', 'test/functions/soak.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Independent files run side by side: most of a file's time is spent waiting on HTTP, Azurite and
    // child processes, not on a core, so even 2 cores keep 4 files busy (vitest's default here is cores - 1).
    maxWorkers: Math.max(4, availableParallelism()),
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // The deployment package (npm run package) is loaded by Node itself, as the Functions worker loads it.
    server: { deps: { external: [/[\\/]app[\\/][\w-]+\.mjs$/] } },
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: LOAD_TESTS, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'load', include: LOAD_TESTS, sequence: { groupOrder: 1 }, maxWorkers: 1 } },
    ],
  },
});
