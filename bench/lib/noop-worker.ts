// The agent benchmark's baseline: a worker process that works no-op jobs from pg-boss exactly as
// src/workers/worker.ts works scheduling jobs (the same pool size, pollers, batch size and polling
// interval), so the measured difference is the agent's own work. Started by bench/agent.ts.
import pg from 'pg';
import PgBoss from 'pg-boss';

export const NOOP_QUEUE = 'bench-noop';

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
  pool.on('error', () => {});
  const boss = new PgBoss({
    db: { executeSql: (text, values) => pool.query(text, values) },
    supervise: true,
    schedule: false,
    maintenanceIntervalSeconds: 30,
  });
  boss.on('error', (err: Error) => console.error(err.message));
  await boss.start();
  const concurrency = Number(process.env.WORKER_CONCURRENCY ?? 4);
  for (let i = 0; i < concurrency; i++) {
    await boss.work(NOOP_QUEUE, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: 0.5 }, async () => {});
  }
  console.error(JSON.stringify({ msg: 'noop worker started', concurrency }));
  const stop = async () => {
    await boss.stop({ graceful: true, close: false, wait: true, timeout: 5_000 });
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

// Imported by bench/agent.ts for NOOP_QUEUE: only the spawned process runs the worker.
if (process.argv[1]?.endsWith('noop-worker.ts')) void main();
