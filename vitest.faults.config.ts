import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run test:faults`: the fault and load tests (test/faults/*.fault.ts). They start their own
// PostgreSQL servers and app processes and stop them on purpose, so they run one file at a time.
// The files are not named *.test.ts, so `npm test` (vitest.config.ts) never picks them up.
export default defineConfig({
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  test: {
    include: ['test/faults/**/*.fault.ts'],
    environment: 'node',
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
