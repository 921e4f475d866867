import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // app/ imports with '@/' (tsconfig paths): tests that load route handlers resolve it the same way.
  resolve: { alias: [{ find: /^@\//, replacement: fileURLToPath(new URL('./', import.meta.url)) }] },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Vitest's default in a run is one file at a time on 2 cores (CPUs − 1). The node tests
    // spend much of their time waiting on worker and model processes and PostgreSQL, so two
    // files at once keep both cores busy (the browser files still run one after another).
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // tests/security/*.portal.test.ts need the production build: they run with the browser tests.
        test: {
          name: 'node',
          include: ['tests/{unit,golden,integration,security}/**/*.test.{ts,tsx}'],
          exclude: [...configDefaults.exclude, 'tests/security/**/*.portal.test.ts'],
          setupFiles: ['tests/helpers/next-request.setup.ts'],
        },
      },
      {
        // Browser tests: one production build for the run, files one after another
        // (each starts its own server, workers and Chromium).
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts', 'tests/security/**/*.portal.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
