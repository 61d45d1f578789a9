import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One config, five named projects, so `npm test` says what ran:
//   unit         src/**/*.test.ts                      pure code, no database
//   integration  **/*.integration.test.ts              services on real PGlite and PostgreSQL
//   http         test/http/*.http.test.ts              the built app over real HTTP
//   e2e          e2e/*.spec.ts                         Chromium driven by playwright-core
//   faults       test/faults/*.fault.ts                PostgreSQL, Pusher and workers killed on purpose
// `npm test` runs the first four; `npm run test:faults` the last, one file at a time.
if (process.env.CI === 'true' && !process.env.TEST_DATABASE_URL) {
  // Without it every PostgreSQL suite would skip and CI would pass having tested only PGlite.
  throw new Error('CI=true needs TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)');
}

// Suites that wait on PostgreSQL, PGlite, Radicale or child processes most of the time run two
// files at once (each file has its own scratch database, servers on free ports); the built app's
// HTTP and browser suites then run one file at a time, after them, as do the fault tests. Two
// projects run together only when they share a group and its worker count.
const IN_PARALLEL = { maxWorkers: Number(process.env.TEST_WORKERS ?? 3), sequence: { groupOrder: 0 } };
const HTTP_WORKERS = { maxWorkers: Number(process.env.HTTP_TEST_WORKERS ?? 2), sequence: { groupOrder: 1 } };
const ONE_AT_A_TIME = { maxWorkers: 1, sequence: { groupOrder: 2 } };

export default defineConfig({
  resolve: {
    alias: {
      '@test': fileURLToPath(new URL('./test', import.meta.url)),
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  test: {
    environment: 'node',
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          ...IN_PARALLEL,
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['src/**/*.integration.test.ts', 'test/**/*.integration.test.ts'], ...IN_PARALLEL },
      },
      // The app is built once in globalSetup (reused while the sources are unchanged).
      {
        extends: true,
        test: {
          name: 'http',
          include: ['test/http/**/*.http.test.ts'],
          globalSetup: ['test/helpers/global-build.ts'],
          hookTimeout: 600_000,
          ...HTTP_WORKERS,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['e2e/**/*.spec.ts'],
          globalSetup: ['test/helpers/global-build.ts'],
          hookTimeout: 600_000,
          ...ONE_AT_A_TIME,
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.fault.ts'],
          globalSetup: ['test/helpers/global-build.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
