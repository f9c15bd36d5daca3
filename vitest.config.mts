import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // The deployment package (npm run package) is loaded by Node itself, as the Functions worker loads it.
    server: { deps: { external: [/[\\/]app[\\/][\w-]+\.mjs$/] } },
  },
});
