import PgBoss from 'pg-boss';
import type { z } from 'zod';
import { getEnv } from '@/lib/config/env';
import { getDatabase, type Database } from '@/lib/db/client';
import { rootCauseMessage } from '@/lib/errors/app-error';
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
 * Work of the queue's in flight in this process: pg-boss's SQL and our job handlers. pg-boss's
 * graceful stop waits only for handlers it sees running; it marks a job complete without awaiting
 * that, and a fetch in flight when the stop began still hands its job to a handler. `stopBoss`
 * waits for this count to reach zero, so the pool is never closed under the queue's feet.
 */
class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  track<T>(work: () => Promise<T>): Promise<T> {
    this.count++;
    let running: Promise<T>;
    try {
      running = work();
    } catch (err) {
      this.done();
      throw err;
    }
    return running.finally(() => this.done());
  }

  private done(): void {
    this.count--;
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  get size(): number {
    return this.count;
  }

  /** Resolves once nothing has been in flight for a whole turn of the event loop (pg-boss fires its completion a few microtasks after a handler returns). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.count > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      if (this.count === 0) return;
    }
  }
}

/**
 * pg-boss speaks to our database through its `db` option, so it shares the app's pool on
 * PostgreSQL and the one PGlite instance when embedded. PGlite's `query` refuses several
 * statements in one call (pg-boss sends those, without parameters, for its migrations and
 * maintenance), so parameterless SQL goes through `exec`.
 */
function bossDb(database: Database, inFlight: InFlight): PgBoss.Db {
  if (database.kind === 'postgres') {
    return { executeSql: (text, values) => inFlight.track(() => database.pool.query(text, values)) };
  }
  const { pglite } = database;
  return {
    executeSql: (text, values) =>
      inFlight.track(async () => {
        if (!values || values.length === 0) {
          const results = await pglite.exec(text);
          return { rows: results.at(-1)?.rows ?? [] };
        }
        return pglite.query(text, values);
      }),
  };
}

interface BossHolder {
  boss: PgBoss;
  /** Queues this process created or updated, by name: each once per pg-boss start. */
  queues: Map<string, Promise<void>>;
  inFlight: InFlight;
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
    const inFlight = new InFlight();
    const boss = new PgBoss({
      db: bossDb(database, inFlight),
      supervise: options.supervise,
      schedule: false,
      maintenanceIntervalSeconds: env.AGENT_MAINTENANCE_INTERVAL_SECONDS,
      monitorStateIntervalSeconds: Math.max(env.AGENT_MAINTENANCE_INTERVAL_SECONDS, 10),
    });
    boss.on('error', (err: Error) => getLogger().error({ err: err.message }, 'job queue error'));
    await boss.start();
    return { boss, queues: new Map<string, Promise<void>>(), inFlight };
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

/** One job handed to a `workJobs` handler: its checked payload and its attempt. */
export interface WorkedJob<T> {
  id: string;
  data: T;
  retryCount: number;
  retryLimit: number;
}

/**
 * Works `queue` in this process, one job at a time per call: payloads are checked against the
 * queue's schema (a malformed job is logged and dropped) and after a job the poller fetches again
 * at once, so only an empty fetch waits for the next poll or a wake-up (wake.ts). A handler that
 * throws fails its attempt (pg-boss retries it as the queue says). Returns pg-boss's worker id.
 */
export async function workJobs<T extends object>(
  queue: JobQueue<T>,
  options: { pollingIntervalSeconds: number },
  handler: (job: WorkedJob<T>) => Promise<unknown>,
): Promise<string> {
  const holder = await startBoss({ supervise: false });
  await ensureJobQueue(holder, queue);
  const { boss, inFlight } = holder;
  // The handler learns its worker's id once `work` returns it (a job may come first: no drain then).
  const self: { id?: string } = {};
  self.id = await boss.work(
    queue.name,
    { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds },
    async ([job]: PgBoss.JobWithMetadata<unknown>[]) => {
      if (!job) return;
      const data = queue.payload.safeParse(job.data);
      if (!data.success) getLogger().error({ jobId: job.id, queue: queue.name }, 'dropping a malformed job');
      else await inFlight.track(() => handler({ id: job.id, data: data.data, retryCount: job.retryCount, retryLimit: job.retryLimit }));
      if (self.id) boss.notifyWorker(self.id);
    },
  );
  return self.id;
}

/**
 * Stops this process's pg-boss, letting a job in hand finish and pg-boss's own SQL (a job's
 * completion, a fetch that was under way) settle, up to `timeoutMs` in all. Past it, what is left
 * is abandoned: a job left active expires and is retried by another worker. Until the stop ends,
 * a job sent (a handler that is finishing enqueues its follow-ups) goes through the stopping
 * pg-boss, so it is counted and waited for instead of starting a second pg-boss on a pool that is
 * about to close.
 */
export async function stopBoss(timeoutMs = 30_000): Promise<void> {
  const slot = bossSlot.get();
  if (!slot) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { boss, inFlight } = await slot;
    const stopping = (async () => {
      await boss.stop({ graceful: true, close: false, wait: true, timeout: timeoutMs });
      await inFlight.idle();
    })();
    const timedOut = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    // Past the timeout `stopping` may still fail (its SQL on a closed pool): that is the abandonment above.
    stopping.catch(() => undefined);
    if ((await Promise.race([stopping, timedOut])) === 'late') {
      getLogger().warn({ inFlight: inFlight.size }, 'job queue stopped with work still in flight; its jobs expire and are retried');
    }
  } catch (err) {
    getLogger().error({ err: rootCauseMessage(err) }, 'job queue did not stop cleanly; its jobs expire and are retried');
  } finally {
    clearTimeout(timer);
    if (bossSlot.get() === slot) bossSlot.set(undefined);
  }
}
