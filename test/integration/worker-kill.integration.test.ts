import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { users } from '@/lib/db/schema';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as taskService from '@/lib/services/scheduling-task.service';
import { stopBoss } from '@/lib/jobs/queue';
import { createScratchPostgres, queryRows, type ScratchPostgres } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';
import { startWorkerProcess } from '@test/helpers/worker-process';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

// A worker process killed with SIGKILL in the middle of a task: the job expires, another worker
// picks it up, and the user ends up with every message exactly once and one booked event.
describe.skipIf(!hasPostgres)('worker killed with SIGKILL mid-job (PostgreSQL)', () => {
  let scratch: ScratchPostgres;
  let database: Database;
  let env: NodeJS.ProcessEnv;
  let userId: string;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused' });
    setDatabase(database);
    const [user] = await database.db
      .insert(users)
      .values({
        email: 'kill@example.com',
        passwordHash: 'x',
        timeZone: 'Europe/Berlin',
        workingHours: { days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' },
      })
      .returning();
    userId = user!.id;
    const agentSettings = { AGENT_JOB_EXPIRE_SECONDS: '2', AGENT_MAINTENANCE_INTERVAL_SECONDS: '1' };
    // The queue's expiry is set by whichever process starts pg-boss, this one included.
    Object.assign(process.env, agentSettings);
    resetEnvCache();
    env = {
      ...process.env,
      ...agentSettings,
      DATABASE_URL: scratch.url,
      LOG_LEVEL: 'warn',
      AGENT_STEP_DELAY_MS: '400',
      WORKER_CONCURRENCY: '2',
    };
  });
  afterAll(async () => {
    await stopBoss(1_000);
    await closeDatabase();
    await scratch?.drop();
  });

  it('re-runs the job on another worker without duplicating or losing a message', async () => {
    const first = startWorkerProcess(env);
    const { taskId } = await taskService.submitRequest(userId, { request: 'book 1h with Dana tomorrow at 3pm' });
    // Kill once the task is visibly under way (its first message is stored), before it can finish.
    await waitFor(
      async () => ((await chatResponseService.getTaskMessages(taskId, userId)).messages.length >= 1 ? true : undefined),
      'the first message',
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const midway = (await taskService.getTask({ taskId, userId })).status;
    expect(midway).toBe('PROCESSING');

    const second = startWorkerProcess(env);
    try {
      const task = await waitFor(
        async () => {
          const t = await taskService.getTask({ taskId, userId });
          return t.status === 'COMPLETED' || t.status === 'FAILED' ? t : undefined;
        },
        'the task to finish on the second worker',
        60_000,
      );
      expect(task.status).toBe('COMPLETED');
      expect(task.attempts).toBeGreaterThanOrEqual(2);
      const { messages } = await chatResponseService.getTaskMessages(taskId, userId);
      expect(messages.map((m) => m.type)).toEqual(['SCHEDULING_UPDATE', 'SCHEDULING_UPDATE', 'CONFIRMATION']);
      const events = await queryRows<{ n: number }>(
        database,
        sql`SELECT count(*)::int AS n FROM calendar_events WHERE "taskId" = ${taskId}`,
      );
      expect(events[0]!.n).toBe(1);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });

  it('npm run worker refuses to start without DATABASE_URL', async () => {
    const worker = startWorkerProcess({ ...process.env, DATABASE_URL: '' });
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toMatch(/needs DATABASE_URL/);
  });
});
