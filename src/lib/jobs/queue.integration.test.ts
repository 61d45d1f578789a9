import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, getDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { getBoss, sendJob, stopBoss, workJobs, type JobQueue } from '@/lib/jobs/queue';
import { processGlobal } from '@/lib/runtime/process-global';
import { createScratchPostgres, type ScratchPostgres } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';
import { z } from 'zod';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

const probeQueue: JobQueue<{ n: number }> = {
  name: 'stop-probe',
  payload: z.object({ n: z.number() }),
  options: () => ({ retryLimit: 0, expireInSeconds: 60 }),
};

// A stop must not return while pg-boss still has SQL of its own to run: pg-boss marks a job
// complete without awaiting it, and a fetch that was in flight when the stop began still hands
// its job to a handler. The process then closes the pool, and that SQL fails ("Cannot use a pool
// after calling end on the pool") as an unhandled rejection, leaving the job active until it
// expires. Both are forced here by holding pgboss.job locked from another connection.
describe.skipIf(!hasPostgres)('stopping the job queue (PostgreSQL)', () => {
  let scratch: ScratchPostgres;
  let locker: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    Object.assign(process.env, { DATABASE_URL: scratch.url });
    resetEnvCache();
    setDatabase(await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused' }));
  });
  afterEach(async () => {
    await locker?.end().catch(() => undefined);
    await stopBoss(1_000);
  });
  afterAll(async () => {
    await closeDatabase();
    await scratch?.drop();
    delete process.env.DATABASE_URL;
    resetEnvCache();
  });

  async function lockJobs(): Promise<() => Promise<void>> {
    locker = new pg.Client({ connectionString: scratch.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE pgboss.job IN ACCESS EXCLUSIVE MODE');
    return async () => {
      await locker.query('COMMIT');
    };
  }

  async function blockedOnTheLock(): Promise<true | undefined> {
    const { rows } = await locker.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return rows[0]!.n > 0 ? true : undefined;
  }

  /** Clients of the app's pool checked out right now: a query of pg-boss's still running. */
  async function queriesInFlight(): Promise<number> {
    const database = await getDatabase();
    if (database.kind !== 'postgres') throw new Error('PostgreSQL only');
    return database.pool.totalCount - database.pool.idleCount;
  }

  async function jobState(id: string): Promise<string> {
    const database = await getDatabase();
    if (database.kind !== 'postgres') throw new Error('PostgreSQL only');
    const { rows } = await database.pool.query<{ state: string }>('SELECT state FROM pgboss.job WHERE id = $1', [id]);
    return rows[0]!.state;
  }

  it('waits for the completion pg-boss fires after a handler returns before it resolves', async () => {
    const boss = await getBoss({ supervise: false, queues: [probeQueue] });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    await workJobs(probeQueue, { pollingIntervalSeconds: 0.5 }, async () => {
      started = true;
      await gate;
    });
    const id = (await sendJob(probeQueue, { n: 1 }))!;
    await waitFor(async () => (started ? true : undefined), 'the handler to start');

    const unlock = await lockJobs();
    release(); // the handler returns; pg-boss's completion now waits on the lock
    await waitFor(blockedOnTheLock, 'the completion to wait on the lock');
    boss.once('stopped', () => void unlock());
    await stopBoss(10_000);

    expect(await queriesInFlight()).toBe(0);
    expect(await jobState(id)).toBe('completed');
  });

  it('waits for a fetch in flight when the stop began, and the job it hands out, before it resolves', async () => {
    const boss = await getBoss({ supervise: false, queues: [probeQueue] });
    const id = (await sendJob(probeQueue, { n: 2 }))!;
    const unlock = await lockJobs();
    const handled: number[] = [];
    await workJobs(probeQueue, { pollingIntervalSeconds: 0.5 }, async (job) => {
      handled.push(job.data.n);
    });
    await waitFor(blockedOnTheLock, 'the fetch to wait on the lock');
    boss.once('stopped', () => void unlock());
    await stopBoss(10_000);

    expect(await queriesInFlight()).toBe(0);
    expect(handled).toEqual([2]);
    expect(await jobState(id)).toBe('completed');
  });

  it('takes a job a finishing handler sends during the stop through the stopping queue, and leaves no pg-boss running', async () => {
    await getBoss({ supervise: false, queues: [probeQueue] });
    let stopping: Promise<void> | undefined;
    let followUp: string | null = null;
    await workJobs(probeQueue, { pollingIntervalSeconds: 0.5 }, async (job) => {
      if (job.data.n !== 3) return;
      stopping = stopBoss(10_000);
      await new Promise((resolve) => setImmediate(resolve)); // the stop is under way
      followUp = await sendJob(probeQueue, { n: 4 });
    });
    await sendJob(probeQueue, { n: 3 });
    await waitFor(async () => (stopping ? true : undefined), 'the handler to begin the stop');
    await stopping;

    expect(followUp).not.toBeNull();
    expect(await jobState(followUp!)).toBe('created');
    expect(await queriesInFlight()).toBe(0);
    // No second pg-boss was started for the follow-up, so none is left behind on the pool.
    expect(processGlobal('jobs.boss').get()).toBeUndefined();
  });
});
