// npm run worker - works the scheduling-agent queue on PostgreSQL. Several may run side by side.
import { getEnv } from '@/lib/config/env';
import { closeDatabase } from '@/lib/db/client';
import { getLogger } from '@/lib/log/logger';
import { startSchedulingWorker, stopSchedulingWorker } from './worker';

async function main(): Promise<void> {
  if (!getEnv().DATABASE_URL) {
    console.error(
      'npm run worker needs DATABASE_URL (PostgreSQL). With the embedded database the worker runs inside `npm run dev` / `npm start`.',
    );
    process.exit(1);
  }
  await startSchedulingWorker();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    getLogger().info({ signal }, 'worker stopping: finishing the jobs in hand');
    await stopSchedulingWorker();
    await closeDatabase();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
