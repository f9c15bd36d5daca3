import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
