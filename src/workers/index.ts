// npm run worker - works the scheduling-agent queue on PostgreSQL. Several may run side by side.
import { getEnv } from '@/lib/config/env';
import { closeDatabase } from '@/lib/db/client';
import { getLogger } from '@/lib/log/logger';
import { startOperatorMetrics } from '@/lib/metrics/start';
import { exitAfterShutdown, onShutdown } from '@/lib/runtime/shutdown';
import { startSchedulingWorker, stopSchedulingWorker } from './worker';

async function main(): Promise<void> {
  if (!getEnv().DATABASE_URL) {
    console.error(
      'npm run worker needs DATABASE_URL (PostgreSQL). With the embedded database the worker runs inside `npm run dev` / `npm start`.',
    );
    process.exit(1);
  }
  // On SIGTERM or SIGINT: the jobs in hand finish, then the pool closes, then the process exits.
  exitAfterShutdown();
  onShutdown('scheduling-worker', 'work', async () => {
    getLogger().info('worker stopping: finishing the jobs in hand');
    await stopSchedulingWorker();
  });
  onShutdown('database', 'connections', closeDatabase);
  await startSchedulingWorker();
  await startOperatorMetrics();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
