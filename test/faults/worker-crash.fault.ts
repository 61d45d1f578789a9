import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { schedulingAgentTasks, users } from '@/lib/db/schema';
import * as taskService from '@/lib/services/scheduling-task.service';
import { stopBoss } from '@/lib/jobs/queue';
import { createScratchPostgres, queryRows, type ScratchPostgres } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';
import { startWorkerProcess } from '@test/helpers/worker-process';
import { hasPgBinaries, startPgCluster, type PgCluster } from './pg-cluster';
import { report, tally } from './support';

// The agent issue's SIGKILL test under load: 50 tasks at once on two worker processes, one of
// them killed with SIGKILL while it holds jobs. Every task still completes, once: the expected
// three messages each, one booked event each, nothing twice.

const TASKS = 50;

describe.skipIf(!hasPgBinaries())('worker SIGKILL under load (50 concurrent tasks)', () => {
  let cluster: PgCluster;
  let scratch: ScratchPostgres;
  let database: Database;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startPgCluster();
    process.env.TEST_DATABASE_URL = cluster.url();
    scratch = await createScratchPostgres();
    database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused' });
    setDatabase(database);
    // The queue's expiry is set by whichever process starts pg-boss, this one included.
    const agentSettings = { AGENT_JOB_EXPIRE_SECONDS: '2', AGENT_MAINTENANCE_INTERVAL_SECONDS: '1' };
    Object.assign(process.env, agentSettings);
    resetEnvCache();
    env = {
      ...process.env,
      ...agentSettings,
      DATABASE_URL: scratch.url,
      LOG_LEVEL: 'warn',
      AGENT_STEP_DELAY_MS: '300',
      WORKER_CONCURRENCY: '4',
    };
  });
  afterAll(async () => {
    await stopBoss(1_000);
    await closeDatabase();
    await scratch?.drop();
    await cluster?.destroy();
  });

  it('completes every task exactly once after one of two workers is killed mid-job', async () => {
    const userRows = await database.db
      .insert(users)
      .values(
        Array.from({ length: TASKS }, (_, i) => ({
          email: `crash-${i}@faults.invalid`,
          passwordHash: 'x',
          timeZone: 'UTC',
          workingHours: { days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' },
        })),
      )
      .returning({ id: users.id });
    const victim = startWorkerProcess(env);
    const survivor = startWorkerProcess(env);
    try {
      const taskIds = await Promise.all(
        userRows.map(
          async ({ id }, i) => (await taskService.submitRequest(id, { request: `book 1h with Dana tomorrow at ${1 + (i % 10)}pm` })).taskId,
        ),
      );
      // Kill the victim once both workers hold jobs and several tasks have sent their first message.
      await waitFor(async () => {
        const rows = await queryRows<{ n: number }>(
          database,
          sql`SELECT count(DISTINCT "taskId")::int AS n FROM chat_messages WHERE "taskId" IN (${sql.join(
            taskIds.map((id) => sql`${id}`),
            sql`, `,
          )})`,
        );
        return rows[0]!.n >= 6 ? true : undefined;
      }, 'tasks under way');
      const inFlight = await database.db
        .select({ status: schedulingAgentTasks.status, n: sql<number>`count(*)::int` })
        .from(schedulingAgentTasks)
        .where(inArray(schedulingAgentTasks.id, taskIds))
        .groupBy(schedulingAgentTasks.status);
      victim.child.kill('SIGKILL');
      await victim.exited;
      const killedAt = Date.now();

      const done = await waitFor(
        async () => {
          const rows = await database.db
            .select({ id: schedulingAgentTasks.id, status: schedulingAgentTasks.status, attempts: schedulingAgentTasks.attempts })
            .from(schedulingAgentTasks)
            .where(inArray(schedulingAgentTasks.id, taskIds));
          return rows.every((r) => ['COMPLETED', 'FAILED', 'WAITING_FOR_USER'].includes(r.status)) ? rows : undefined;
        },
        'every task to finish on the surviving worker',
        150_000,
      );
      const finishedAfterKillMs = Date.now() - killedAt;

      const messages = await queryRows<{ taskId: string; types: string[] }>(
        database,
        sql`SELECT "taskId", array_agg(type::text ORDER BY position) AS types FROM chat_messages
            WHERE "taskId" IN (${sql.join(
              taskIds.map((id) => sql`${id}`),
              sql`, `,
            )}) GROUP BY "taskId"`,
      );
      const events = await queryRows<{ taskId: string; n: number }>(
        database,
        sql`SELECT "taskId", count(*)::int AS n FROM calendar_events WHERE "taskId" IN (${sql.join(
          taskIds.map((id) => sql`${id}`),
          sql`, `,
        )}) GROUP BY "taskId"`,
      );
      const expected = ['SCHEDULING_UPDATE', 'SCHEDULING_UPDATE', 'CONFIRMATION'];
      const byTask = new Map(messages.map((m) => [m.taskId, m.types]));
      const lost = taskIds.reduce((n, id) => n + Math.max(0, expected.length - (byTask.get(id)?.length ?? 0)), 0);
      const duplicated = taskIds.reduce((n, id) => n + Math.max(0, (byTask.get(id)?.length ?? 0) - expected.length), 0);
      const retried = done.filter((r) => r.attempts >= 2).length;

      report('worker SIGKILL under load', {
        load: `${TASKS} tasks submitted at once, 2 worker processes x WORKER_CONCURRENCY=4, AGENT_STEP_DELAY_MS=300`,
        fault: `SIGKILL of one worker while tasks were ${JSON.stringify(Object.fromEntries(inFlight.map((r) => [r.status, r.n])))}`,
        'job expiry / maintenance': '2 s / 1 s',
        'finished after the kill': `${finishedAfterKillMs} ms`,
        'task statuses': tally(done.map((r) => r.status)),
        'tasks re-run after the kill (attempts >= 2)': retried,
        'messages checked': messages.reduce((n, m) => n + m.types.length, 0),
        'events booked': events.reduce((n, e) => n + e.n, 0),
        lost,
        duplicated,
      });

      expect(done.every((r) => r.status === 'COMPLETED')).toBe(true);
      expect(taskIds.every((id) => JSON.stringify(byTask.get(id)) === JSON.stringify(expected))).toBe(true);
      expect(events.length).toBe(TASKS);
      expect(events.every((e) => e.n === 1)).toBe(true);
      expect(retried).toBeGreaterThan(0);
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
    } finally {
      victim.child.kill('SIGKILL');
      survivor.child.kill('SIGTERM');
      await survivor.exited;
    }
  });
});
