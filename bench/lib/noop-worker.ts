// The agent benchmark's baseline: a worker process that works no-op jobs from pg-boss exactly as
// src/workers/worker.ts works scheduling jobs (the same pool size, pollers, batch size, polling
// interval, wake-up on enqueue and draining), so the measured difference is the agent's own work.
// Started by bench/agent.ts.
import pg from 'pg';
import PgBoss from 'pg-boss';
import { listenForJobs, onWake } from '@/lib/jobs/wake';

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
  const ids: string[] = [];
  for (let i = 0; i < concurrency; i++) {
    const self: { id?: string } = {};
    self.id = await boss.work(NOOP_QUEUE, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      if (jobs.length > 0 && self.id) boss.notifyWorker(self.id);
    });
    ids.push(self.id);
  }
  onWake(NOOP_QUEUE, () => ids.forEach((id) => boss.notifyWorker(id)));
  listenForJobs(process.env.DATABASE_URL!);
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
