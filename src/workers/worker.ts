import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { getBoss, stopBoss, workJobs } from '@/lib/jobs/queue';
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
  const pollingIntervalSeconds = getEnv().WORKER_POLL_SECONDS;
  const workerIds: string[] = [];
  for (let i = 0; i < getEnv().WORKER_CONCURRENCY; i++) {
    workerIds.push(
      await workJobs(schedulingQueue, { pollingIntervalSeconds }, (job) =>
        processSchedulingJob(job.data, { retryCount: job.retryCount, retryLimit: job.retryLimit }, hooks),
      ),
    );
  }
  const unwake = onWake(schedulingQueue.name, () => {
    for (const id of workerIds) boss.notifyWorker(id);
  });
  workerCleanup.set(unwake);
  const database = await getDatabase();
  if (database.kind === 'postgres' && database.pool.options.connectionString) listenForJobs(database.pool.options.connectionString);
  await workJobs(schedulingFailedQueue, { pollingIntervalSeconds }, (job) => failSchedulingTask(job.data));
  startAttachmentSweep();
  await startEscalationAndRetention();
  getLogger().info({ concurrency: getEnv().WORKER_CONCURRENCY }, 'scheduling worker started');
}

/**
 * The chat queues: escalation deliveries (always worked, so jobs scheduled before a restart are
 * delivered), and with CHAT_RETENTION the recurring purge: every CHAT_RETENTION_INTERVAL each
 * worker asks for the slot's purge job; pg-boss keeps one per slot, so it runs once.
 */
async function startEscalationAndRetention(): Promise<void> {
  const env = getEnv();
  await workJobs(escalationQueue, { pollingIntervalSeconds: 0.5 }, (job) => runEscalation(job.data));
  if (!env.CHAT_RETENTION) return;
  await workJobs(retentionQueue, { pollingIntervalSeconds: 2 }, async () => {
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
