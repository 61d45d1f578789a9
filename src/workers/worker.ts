import type PgBoss from 'pg-boss';
import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { getBoss, stopBoss } from '@/lib/jobs/queue';
import { escalationQueue } from '@/lib/jobs/escalation-jobs';
import { requestRetentionPurge, retentionQueue } from '@/lib/jobs/retention-jobs';
import { listenForJobs, onWake, stopListeningForJobs } from '@/lib/jobs/wake';
import { schedulingFailedQueue, schedulingQueue } from '@/lib/jobs/scheduling-jobs';
import { runEscalation } from '@/lib/services/escalation.service';
import { purgeExpiredMessages } from '@/lib/services/retention.service';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';
import { startAttachmentSweep, stopAttachmentSweep } from './attachment-sweep';
import { failSchedulingTask, processSchedulingJob, type ProcessorHooks } from './processors/schedulingAgent.processor';

const workerSlot = processGlobal<Promise<void>>('jobs.scheduling-worker');
const retentionTimer = processGlobal<NodeJS.Timeout>('jobs.retention-timer');
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
  startAttachmentSweep();
  await startEscalationAndRetention(boss);
  getLogger().info({ concurrency: getEnv().WORKER_CONCURRENCY }, 'scheduling worker started');
}

/**
 * The chat queues: escalation deliveries (always worked, so jobs scheduled before a restart are
 * delivered), and with CHAT_RETENTION the recurring purge: every CHAT_RETENTION_INTERVAL each
 * worker asks for the slot's purge job; pg-boss keeps one per slot, so it runs once.
 */
async function startEscalationAndRetention(boss: PgBoss): Promise<void> {
  const env = getEnv();
  await getBoss({ supervise: true, queues: [escalationQueue, retentionQueue] });
  await boss.work(escalationQueue.name, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
    const data = job && escalationQueue.payload.safeParse(job.data);
    if (data?.success) await runEscalation(data.data);
  });
  if (!env.CHAT_RETENTION) return;
  await boss.work(retentionQueue.name, { batchSize: 1, pollingIntervalSeconds: 2 }, async () => {
    await purgeExpiredMessages();
  });
  const ask = () =>
    requestRetentionPurge(env.CHAT_RETENTION_INTERVAL).catch((err: unknown) =>
      getLogger().error({ err: err instanceof Error ? err.message : String(err) }, 'could not schedule the retention purge'),
    );
  await ask();
  clearInterval(retentionTimer.get());
  const timer = setInterval(() => void ask(), env.CHAT_RETENTION_INTERVAL);
  timer.unref();
  retentionTimer.set(timer);
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
  stopAttachmentSweep();
  clearInterval(retentionTimer.get());
  retentionTimer.set(undefined);
  workerCleanup.get()?.();
  workerCleanup.set(undefined);
  await stopListeningForJobs();
  await stopBoss(timeoutMs);
}
