/**
 * Runs once when the Next.js server starts: validates the environment (a bad variable stops the
 * server with its name), opens the database (PGlite migrates itself; PostgreSQL is migrated by
 * `npm run db:migrate`), then starts the scheduling worker when it runs in this process: always
 * on PGlite (single process), on PostgreSQL only with RUN_WORKER_IN_PROCESS=true.
 *
 * Node-only modules are imported dynamically: Next.js also bundles this file for the edge runtime.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const [{ getEnv }, { getDatabase }, { getLogger }] = await Promise.all([
    import('@/lib/config/env'),
    import('@/lib/db/client'),
    import('@/lib/log/logger'),
  ]);
  const env = getEnv();
  const database = await getDatabase();
  getLogger().info(
    { database: database.kind, pusher: env.isPusherConfigured },
    database.kind === 'pglite' ? `embedded database ready at ${env.PGLITE_DIR}` : 'connected to PostgreSQL',
  );
  if (database.kind === 'pglite' || env.RUN_WORKER_IN_PROCESS) {
    const [{ startSchedulingWorker, stopSchedulingWorker }, { onShutdown }] = await Promise.all([
      import('@/workers/worker'),
      import('@/lib/runtime/shutdown'),
    ]);
    await startSchedulingWorker();
    // Let the job in hand finish before the process exits.
    onShutdown('scheduling-worker', 'work', () => stopSchedulingWorker(10_000));
  }
}
