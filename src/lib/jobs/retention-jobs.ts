import { z } from 'zod';
import { sendJob, type JobQueue } from './queue';

/**
 * The recurring retention purge (README "Retention"). Every worker process asks for one job per
 * CHAT_RETENTION_INTERVAL slot; pg-boss keeps one per slot (singletonKey + singletonSeconds) and
 * the queue's `singleton` policy lets only one run at a time, so many workers purge once.
 */
export const RetentionJob = z.object({});
export type RetentionJob = z.infer<typeof RetentionJob>;

export const retentionQueue: JobQueue<RetentionJob> = {
  name: 'chat-retention-purge',
  payload: RetentionJob,
  options: () => ({ policy: 'singleton', retryLimit: 2, retryDelay: 30, expireInSeconds: 3_600 }),
};

/** Asks for the purge of the current slot of `intervalMs`; a slot already asked for is left alone. */
export async function requestRetentionPurge(intervalMs: number): Promise<void> {
  await sendJob(retentionQueue, {}, { singletonKey: 'chat-retention', singletonSeconds: Math.max(1, Math.round(intervalMs / 1000)) });
}
