import type PgBoss from 'pg-boss';
import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { getBoss, stopBoss } from '@/lib/jobs/queue';
import { listenForJobs, onWake, stopListeningForJobs } from '@/lib/jobs/wake';
import { schedulingFailedQueue, schedulingQueue } from '@/lib/jobs/scheduling-jobs';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';
import { failSchedulingTask, processSchedulingJob, type ProcessorHooks } from './processors/schedulingAgent.processor';

const workerSlot = processGlobal<Promise<void>>('jobs.scheduling-worker');
const workerCleanup = processGlobal<() => void>('jobs.scheduling-worker.wake');

/** Hooks from the environment: AGENT_STEP_DELAY_MS pauses before each step (crash tests). */
function envHooks(): ProcessorHooks {
  const delay = getEnv().AGENT_STEP_DELAY_MS;
  return delay > 0 ? { beforeStep: () => new Promise((resolve) => setTimeout(resolve, delay)) } : {};
}

async function startWorking(hooks: ProcessorHooks): Promise<void> {
  const boss = await getBoss({ supervise: true, queues: [schedulingQueue] });
  const handler = async ([job]: PgBoss.JobWithMetadata<unknown>[]) => {
    if (!job) return;
    const data = schedulingQueue.payload.safeParse(job.data);
    if (!data.success) {
      getLogger().error({ jobId: job.id }, 'dropping a malformed scheduling job');
      return;
    }
    await processSchedulingJob(data.data, { retryCount: job.retryCount, retryLimit: job.retryLimit }, hooks);
  };
  // Each poller drains: after a job it fetches again at once; only an empty fetch waits for the
  // next poll or a wake-up on enqueue (src/lib/jobs/wake.ts).
  const pollingIntervalSeconds = getEnv().WORKER_POLL_SECONDS;
  const workerIds: string[] = [];
  const draining =
    (work: (jobs: PgBoss.JobWithMetadata<unknown>[]) => Promise<void>, id: () => string | undefined) =>
    async (jobs: PgBoss.JobWithMetadata<unknown>[]) => {
      await work(jobs);
      const self = id();
      if (jobs.length > 0 && self) boss.notifyWorker(self);
    };
  for (let i = 0; i < getEnv().WORKER_CONCURRENCY; i++) {
    // The handler learns its worker's id once `work` returns it (a job may come first: no drain then).
    const self: { id?: string } = {};
    self.id = await boss.work(
      schedulingQueue.name,
      { includeMetadata: true, batchSize: 1, pollingIntervalSeconds },
      draining(handler, () => self.id),
    );
    workerIds.push(self.id);
  }
  const unwake = onWake(schedulingQueue.name, () => {
    for (const id of workerIds) boss.notifyWorker(id);
  });
  workerCleanup.set(unwake);
  const database = await getDatabase();
  if (database.kind === 'postgres' && database.pool.options.connectionString) listenForJobs(database.pool.options.connectionString);
  await boss.work(schedulingFailedQueue.name, { batchSize: 1, pollingIntervalSeconds }, async ([job]) => {
    const data = job && schedulingFailedQueue.payload.safeParse(job.data);
    if (data?.success) await failSchedulingTask(data.data);
  });
  getLogger().info({ concurrency: getEnv().WORKER_CONCURRENCY }, 'scheduling worker started');
}

/**
 * Starts working the scheduling queue in this process (WORKER_CONCURRENCY pollers), once.
 * Used by `npm run worker`, and inside the web server on PGlite or with RUN_WORKER_IN_PROCESS.
 */
export function startSchedulingWorker(hooks: ProcessorHooks = envHooks()): Promise<void> {
  const running = workerSlot.get();
  if (running) return running;
  const starting = startWorking(hooks);
  workerSlot.set(starting);
  starting.catch(() => {
    if (workerSlot.get() === starting) workerSlot.set(undefined);
  });
  return starting;
}

/** Stops the worker: jobs in hand finish (or, past the timeout, are left to expire and be retried elsewhere). */
export async function stopSchedulingWorker(timeoutMs = 30_000): Promise<void> {
  workerSlot.set(undefined);
  workerCleanup.get()?.();
  workerCleanup.set(undefined);
  await stopListeningForJobs();
  await stopBoss(timeoutMs);
}
