import PgBoss from 'pg-boss';
import { z } from 'zod';
import { getEnv } from '@/lib/config/env';
import { getDatabase, type Database } from '@/lib/db/client';
import { getLogger } from '@/lib/log/logger';

/** The scheduling agent's queue and its one job type: process the latest turn of a task. */
export const SCHEDULING_QUEUE = 'scheduling-agent';
/**
 * Where pg-boss moves a job that failed its last attempt, whether it threw or its worker died
 * (expired). Its handler marks the task FAILED and tells the user, so no task stays in progress.
 */
export const SCHEDULING_FAILED_QUEUE = 'scheduling-agent-failed';
export const SchedulingJob = z.object({ taskId: z.string().min(1), turn: z.number().int().min(0) });
export type SchedulingJob = z.infer<typeof SchedulingJob>;

/** 3 attempts in all: the first and two retries, with exponential backoff from 1 s. */
export const RETRY_LIMIT = 2;

/**
 * pg-boss speaks to our database through its `db` option, so it shares the app's pool on
 * PostgreSQL and the one PGlite instance when embedded. PGlite's `query` refuses several
 * statements in one call (pg-boss sends those, without parameters, for its migrations and
 * maintenance), so parameterless SQL goes through `exec`.
 */
function bossDb(database: Database): PgBoss.Db {
  if (database.kind === 'postgres') {
    return { executeSql: (text, values) => database.pool.query(text, values) };
  }
  const { pglite } = database;
  return {
    async executeSql(text, values) {
      if (!values || values.length === 0) {
        const results = await pglite.exec(text);
        return { rows: results.at(-1)?.rows ?? [] };
      }
      return pglite.query(text, values);
    },
  };
}

interface BossHolder {
  boss: PgBoss;
  supervising: boolean;
}

const globalForQueue = globalThis as unknown as { __chatBoss?: Promise<BossHolder> };

/**
 * The process's pg-boss, started on first use. `supervise` (expiring jobs of dead workers,
 * archiving) runs only in processes that work jobs; a web server that only enqueues skips it.
 */
export function getBoss(options: { supervise: boolean } = { supervise: false }): Promise<PgBoss> {
  globalForQueue.__chatBoss ??= (async () => {
    const env = getEnv();
    const database = await getDatabase();
    const boss = new PgBoss({
      db: bossDb(database),
      supervise: options.supervise,
      schedule: false,
      maintenanceIntervalSeconds: env.AGENT_MAINTENANCE_INTERVAL_SECONDS,
      monitorStateIntervalSeconds: Math.max(env.AGENT_MAINTENANCE_INTERVAL_SECONDS, 10),
    });
    boss.on('error', (err: Error) => getLogger().error({ err: err.message }, 'job queue error'));
    await boss.start();
    await ensureQueues(boss);
    return { boss, supervising: options.supervise };
  })();
  globalForQueue.__chatBoss.catch(() => (globalForQueue.__chatBoss = undefined));
  return globalForQueue.__chatBoss.then((holder) => holder.boss);
}

async function ensureQueue(boss: PgBoss, options: PgBoss.Queue): Promise<void> {
  if (await boss.getQueue(options.name)) await boss.updateQueue(options.name, options);
  else {
    try {
      await boss.createQueue(options.name, options);
    } catch (err) {
      // Another process created it between our check and our create.
      if (!(await boss.getQueue(options.name))) throw err;
    }
  }
}

async function ensureQueues(boss: PgBoss): Promise<void> {
  const env = getEnv();
  const common = { retryLimit: RETRY_LIMIT, retryDelay: 1, retryBackoff: true, expireInSeconds: env.AGENT_JOB_EXPIRE_SECONDS };
  // The dead-letter queue first: the main queue's deadLetter must name an existing queue.
  await ensureQueue(boss, { name: SCHEDULING_FAILED_QUEUE, ...common });
  await ensureQueue(boss, { name: SCHEDULING_QUEUE, ...common, deadLetter: SCHEDULING_FAILED_QUEUE });
}

/** Puts one turn of a task on the queue. */
export async function enqueueSchedulingTurn(job: SchedulingJob): Promise<void> {
  const boss = await getBoss();
  await boss.send(SCHEDULING_QUEUE, job);
}

/** Stops this process's pg-boss, letting a job in hand finish (up to `timeoutMs`). */
export async function stopBoss(timeoutMs = 30_000): Promise<void> {
  const holder = globalForQueue.__chatBoss;
  globalForQueue.__chatBoss = undefined;
  if (!holder) return;
  const { boss } = await holder;
  await boss.stop({ graceful: true, close: false, wait: true, timeout: timeoutMs });
}
