import type PgBoss from 'pg-boss';
import { getEnv } from '@/lib/config/env';
import { getLogger } from '@/lib/log/logger';
import { failSchedulingTask, processSchedulingJob, type ProcessorHooks } from './processors/schedulingAgent.processor';
import { getBoss, SCHEDULING_FAILED_QUEUE, SCHEDULING_QUEUE, SchedulingJob, stopBoss } from './queue';

const globalForWorker = globalThis as unknown as { __chatWorker?: Promise<void> };

/** Hooks from the environment: AGENT_STEP_DELAY_MS pauses before each step (crash tests). */
function envHooks(): ProcessorHooks {
  const delay = getEnv().AGENT_STEP_DELAY_MS;
  return delay > 0 ? { beforeStep: () => new Promise((resolve) => setTimeout(resolve, delay)) } : {};
}

/**
 * Starts working the scheduling queue in this process (WORKER_CONCURRENCY pollers), once.
 * Used by `npm run worker`, and inside the web server on PGlite or with RUN_WORKER_IN_PROCESS.
 */
export function startSchedulingWorker(hooks: ProcessorHooks = envHooks()): Promise<void> {
  globalForWorker.__chatWorker ??= (async () => {
    const boss = await getBoss({ supervise: true });
    const handler = async ([job]: PgBoss.JobWithMetadata<unknown>[]) => {
      if (!job) return;
      const data = SchedulingJob.safeParse(job.data);
      if (!data.success) {
        getLogger().error({ jobId: job.id }, 'dropping a malformed scheduling job');
        return;
      }
      await processSchedulingJob(data.data, { retryCount: job.retryCount, retryLimit: job.retryLimit }, hooks);
    };
    for (let i = 0; i < getEnv().WORKER_CONCURRENCY; i++) {
      await boss.work(SCHEDULING_QUEUE, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: 0.5 }, handler);
    }
    await boss.work(SCHEDULING_FAILED_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
      const data = job && SchedulingJob.safeParse(job.data);
      if (data?.success) await failSchedulingTask(data.data);
    });
    getLogger().info({ concurrency: getEnv().WORKER_CONCURRENCY }, 'scheduling worker started');
  })();
  globalForWorker.__chatWorker.catch(() => (globalForWorker.__chatWorker = undefined));
  return globalForWorker.__chatWorker;
}

/** Stops the worker: jobs in hand finish (or, past the timeout, are left to expire and be retried elsewhere). */
export async function stopSchedulingWorker(timeoutMs = 30_000): Promise<void> {
  globalForWorker.__chatWorker = undefined;
  await stopBoss(timeoutMs);
}
