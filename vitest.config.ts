import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'e2e/**/*.spec.ts'],
    // The fault suite has its own config and command (npm run test:faults).
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    environment: 'node',
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
