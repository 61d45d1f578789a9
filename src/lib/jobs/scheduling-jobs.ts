import { z } from 'zod';
import { getEnv } from '@/lib/config/env';
import { sendJob, type JobQueue } from './queue';

/** One job = one turn of a scheduling task: the request (turn 0) or the user's n-th answer. */
export const SchedulingJob = z.object({ taskId: z.string().min(1), turn: z.number().int().min(0) });
export type SchedulingJob = z.infer<typeof SchedulingJob>;

/** 3 attempts in all: the first and two retries, with exponential backoff from 1 s. */
export const RETRY_LIMIT = 2;

const retryOptions = () => ({
  retryLimit: RETRY_LIMIT,
  retryDelay: 1,
  retryBackoff: true,
  expireInSeconds: getEnv().AGENT_JOB_EXPIRE_SECONDS,
});

/**
 * Where pg-boss moves a job that failed its last attempt, whether it threw or its worker died
 * (expired). Its handler marks the task FAILED and tells the user, so no task stays in progress.
 */
export const schedulingFailedQueue: JobQueue<SchedulingJob> = {
  name: 'scheduling-agent-failed',
  payload: SchedulingJob,
  options: retryOptions,
};

/** The scheduling agent's queue: process the latest turn of a task. */
export const schedulingQueue: JobQueue<SchedulingJob> = {
  name: 'scheduling-agent',
  payload: SchedulingJob,
  options: retryOptions,
  deadLetter: schedulingFailedQueue,
};

/** Puts one turn of a task on the queue. */
export async function enqueueSchedulingTurn(job: SchedulingJob): Promise<void> {
  await sendJob(schedulingQueue, job);
}
