import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { getLogger } from '@/lib/log/logger';
import { startSchedulingWorker, stopSchedulingWorker } from '@/workers/worker';

/**
 * Server start-up: environment first, then the database (PGlite migrates itself; PostgreSQL is
 * migrated by `npm run db:migrate`), then the scheduling worker when it runs in this process:
 * always on PGlite (single process), on PostgreSQL only with RUN_WORKER_IN_PROCESS=true.
 */
export async function startServer(): Promise<void> {
  const env = getEnv();
  const database = await getDatabase();
  getLogger().info(
    { database: database.kind, pusher: env.isPusherConfigured },
    database.kind === 'pglite' ? `embedded database ready at ${env.PGLITE_DIR}` : 'connected to PostgreSQL',
  );
  if (database.kind === 'pglite' || env.RUN_WORKER_IN_PROCESS) {
    await startSchedulingWorker();
    // Let the job in hand finish before Next.js exits.
    process.once('SIGTERM', () => void stopSchedulingWorker(10_000));
  }
}
