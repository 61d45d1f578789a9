import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { users } from '@/lib/db/schema';
import { stopBoss } from '@/lib/jobs/queue';
import * as taskService from '@/lib/services/scheduling-task.service';
import { createScratchPostgres, queryRows, type ScratchPostgres } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';
import { startWorkerProcess } from '@test/helpers/worker-process';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

// Wake-up on enqueue across processes: a worker process that polls only once a minute still
// starts every task at once (NOTIFY chat_jobs from the enqueuing process), drains a burst, and
// runs each task exactly once.
describe.skipIf(!hasPostgres)('worker wake-up on enqueue (PostgreSQL, a worker process polling every 60 s)', () => {
  let scratch: ScratchPostgres;
  let database: Database;
  let worker: ReturnType<typeof startWorkerProcess> | undefined;
  const TASKS_PER_BURST = 12;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    Object.assign(process.env, { DATABASE_URL: scratch.url });
    resetEnvCache();
    database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused' });
    setDatabase(database);
    worker = startWorkerProcess({
      ...process.env,
      DATABASE_URL: scratch.url,
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '4',
      WORKER_POLL_SECONDS: '60',
    });
    await waitFor(async () => (worker!.output().includes('scheduling worker started') ? true : undefined), 'the worker to start', 60_000);
  });
  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await stopBoss(1_000);
    await closeDatabase();
    await scratch?.drop();
    delete process.env.DATABASE_URL;
    resetEnvCache();
  });

  async function burst(round: number): Promise<string[]> {
    const rows = await database.db
      .insert(users)
      .values(
        Array.from({ length: TASKS_PER_BURST }, (_, i) => ({
          email: `wake-${round}-${i}@example.com`,
          passwordHash: 'x',
          timeZone: 'UTC',
          workingHours: { days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' },
        })),
      )
      .returning({ id: users.id });
    return Promise.all(
      rows.map(
        async ({ id }, i) =>
          (await taskService.submitRequest(id, { request: `book 30 min with Dana tomorrow at ${1 + (i % 11)}pm` })).taskId,
      ),
    );
  }

  async function finished(taskIds: string[]): Promise<true | undefined> {
    const [row] = await queryRows<{ n: number }>(
      database,
      sql`SELECT count(*)::int AS n FROM scheduling_agent_tasks WHERE id IN (${sql.join(
        taskIds.map((id) => sql`${id}`),
        sql`, `,
      )}) AND status = 'COMPLETED'`,
    );
    return row!.n === taskIds.length ? true : undefined;
  }

  it('starts every task long before the next poll, twice in a row, and works each one exactly once', async () => {
    const taskIds: string[] = [];
    for (const round of [1, 2]) {
      const burstIds = await burst(round);
      taskIds.push(...burstIds);
      // Well inside the 60 s polling interval: only a wake-up (and draining) gets there.
      await waitFor(() => finished(burstIds), `burst ${round} to complete`, 30_000);
    }
    const perTask = await queryRows<{ taskId: string; n: number }>(
      database,
      sql`SELECT "taskId", count(*)::int AS n FROM chat_messages GROUP BY "taskId"`,
    );
    expect(perTask).toHaveLength(taskIds.length);
    for (const { n } of perTask) expect(n).toBe(3);
    const jobs = await queryRows<{ state: string; retry_count: number; n: number }>(
      database,
      sql`SELECT state, retry_count, count(*)::int AS n FROM pgboss.job WHERE name = 'scheduling-agent' GROUP BY state, retry_count`,
    );
    expect(jobs).toEqual([{ state: 'completed', retry_count: 0, n: taskIds.length }]);
  });
});
