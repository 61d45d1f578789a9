import { z } from 'zod';
import { getEnv } from '@/lib/config/env';
import { sendJob, type JobQueue } from './queue';

/**
 * Escalation of HIGH and URGENT messages left unread (README "Priority and escalation"): one
 * delayed job per message, due ESCALATE_AFTER after the send. Its handler
 * (services/escalation.service.ts) posts the message to ESCALATION_WEBHOOK_URL unless it was
 * read (or purged) first; a failed delivery throws, and pg-boss retries it with backoff.
 */
export const EscalationJob = z.object({ messageId: z.string().min(1), userId: z.string().min(1) });
export type EscalationJob = z.infer<typeof EscalationJob>;

/** 1 + 9 attempts, 1 s, 2 s, 4 s ... apart (about 8.5 minutes in all). */
export const ESCALATION_RETRY_LIMIT = 9;

export const escalationQueue: JobQueue<EscalationJob> = {
  name: 'chat-escalation',
  payload: EscalationJob,
  options: () => ({
    retryLimit: ESCALATION_RETRY_LIMIT,
    retryDelay: 1,
    retryBackoff: true,
    // A worker that died mid-delivery leaves the job to expire; another worker then delivers it
    // (with the same delivery id). The expiry must outlast one delivery's timeout.
    expireInSeconds: Math.max(getEnv().AGENT_JOB_EXPIRE_SECONDS, Math.ceil(getEnv().ESCALATION_WEBHOOK_TIMEOUT_MS / 1000) + 1),
  }),
};

/** Schedules the escalation check of one message, `delayMs` from now. */
export async function enqueueEscalation(job: EscalationJob, delayMs: number): Promise<void> {
  await sendJob(escalationQueue, job, { startAfter: new Date(Date.now() + delayMs) });
}
