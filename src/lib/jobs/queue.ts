import PgBoss from 'pg-boss';
import type { z } from 'zod';
import { getEnv } from '@/lib/config/env';
import { getDatabase, type Database } from '@/lib/db/client';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';
import { announceJob } from './wake';

/** A queue: its name, its pg-boss options (read when it is created) and where its failed jobs go. */
export interface QueueDefinition {
  name: string;
  options: () => Omit<PgBoss.Queue, 'name' | 'deadLetter'>;
  /** Created before the queue that names it. */
  deadLetter?: QueueDefinition;
}

/** A queue of typed jobs: every payload sent or worked is checked against `payload`. */
export interface JobQueue<T extends object> extends QueueDefinition {
  payload: z.ZodType<T>;
  deadLetter?: JobQueue<T>;
}

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
  /** Queues this process created or updated, by name: each once per pg-boss start. */
  queues: Map<string, Promise<void>>;
}

const bossSlot = processGlobal<Promise<BossHolder>>('jobs.boss');

/**
 * The process's pg-boss, started on first use. `supervise` (expiring jobs of dead workers,
 * archiving) runs only in processes that work jobs; a web server that only enqueues skips it.
 */
function startBoss(options: { supervise: boolean }): Promise<BossHolder> {
  const existing = bossSlot.get();
  if (existing) return existing;
  const starting = (async () => {
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
    return { boss, queues: new Map<string, Promise<void>>() };
  })();
  bossSlot.set(starting);
  starting.catch(() => {
    if (bossSlot.get() === starting) bossSlot.set(undefined);
  });
  return starting;
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

/** Creates (or brings up to date with this process's settings) the queue and its dead-letter queue, once per start. */
function ensureJobQueue(holder: BossHolder, queue: QueueDefinition): Promise<void> {
  let ensured = holder.queues.get(queue.name);
  if (!ensured) {
    ensured = (async () => {
      // The dead-letter queue first: the main queue's deadLetter must name an existing queue.
      if (queue.deadLetter) await ensureJobQueue(holder, queue.deadLetter);
      const options: PgBoss.Queue = { ...queue.options(), name: queue.name };
      // pg-boss rejects a `deadLetter` key that is present but undefined.
      if (queue.deadLetter) options.deadLetter = queue.deadLetter.name;
      await ensureQueue(holder.boss, options);
    })();
    holder.queues.set(queue.name, ensured);
    ensured.catch(() => holder.queues.delete(queue.name));
  }
  return ensured;
}

/**
 * The process's pg-boss with `queues` (and their dead-letter queues) in place. Workers pass
 * `supervise: true`; the first caller's choice holds for the life of the process's pg-boss.
 */
export async function getBoss(options: { supervise: boolean; queues?: QueueDefinition[] } = { supervise: false }): Promise<PgBoss> {
  const holder = await startBoss(options);
  for (const queue of options.queues ?? []) await ensureJobQueue(holder, queue);
  return holder.boss;
}

/**
 * Puts one job on its queue after checking the payload against the queue's schema, then wakes
 * the queue's workers (wake.ts) so the job starts now rather than at their next poll. `options`
 * are pg-boss's (e.g. `startAfter` for a delayed job, which wakes nobody; `singletonKey` /
 * `singletonSeconds` for one job per time slot across instances). Returns the job id, or null
 * when pg-boss left it out (a singleton slot already taken).
 */
export async function sendJob<T extends object>(queue: JobQueue<T>, payload: T, options?: PgBoss.SendOptions): Promise<string | null> {
  const data = queue.payload.parse(payload);
  const holder = await startBoss({ supervise: false });
  await ensureJobQueue(holder, queue);
  const id = options ? await holder.boss.send(queue.name, data, options) : await holder.boss.send(queue.name, data);
  if (id !== null && options?.startAfter === undefined) {
    const database = await getDatabase();
    await announceJob(queue.name, database.kind === 'postgres' ? database.pool : undefined);
  }
  return id;
}

/** Stops this process's pg-boss, letting a job in hand finish (up to `timeoutMs`). */
export async function stopBoss(timeoutMs = 30_000): Promise<void> {
  const holder = bossSlot.get();
  bossSlot.set(undefined);
  if (!holder) return;
  const { boss } = await holder;
  await boss.stop({ graceful: true, close: false, wait: true, timeout: timeoutMs });
}
