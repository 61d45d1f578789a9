import type PgBoss from 'pg-boss';
import { getEnv } from '@/lib/config/env';
import { getBoss, stopBoss } from '@/lib/jobs/queue';
import { schedulingFailedQueue, schedulingQueue } from '@/lib/jobs/scheduling-jobs';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';
import { startAttachmentSweep, stopAttachmentSweep } from './attachment-sweep';
import { failSchedulingTask, processSchedulingJob, type ProcessorHooks } from './processors/schedulingAgent.processor';

const workerSlot = processGlobal<Promise<void>>('jobs.scheduling-worker');

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
  for (let i = 0; i < getEnv().WORKER_CONCURRENCY; i++) {
    await boss.work(schedulingQueue.name, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: 0.5 }, handler);
  }
  await boss.work(schedulingFailedQueue.name, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
    const data = job && schedulingFailedQueue.payload.safeParse(job.data);
    if (data?.success) await failSchedulingTask(data.data);
  });
  startAttachmentSweep();
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
  stopAttachmentSweep();
  await stopBoss(timeoutMs);
}
