import { createHash } from 'node:crypto';
import type { SchedulingTaskRow } from '@/lib/db/schema';
import { undoBookingOf } from '@/lib/agent/calendar-access';
import { converse, type AgentMessage, type Respond } from '@/lib/agent/scheduling-conversation';
import { AppError } from '@/lib/errors/app-error';
import type { SchedulingJob } from '@/lib/jobs/scheduling-jobs';
import { getLogger } from '@/lib/log/logger';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as userService from '@/lib/services/user.service';
import * as say from '@/scheduling/agent-messages';
import { DEFAULT_WORKING_HOURS } from '@/scheduling/availability';

/**
 * The scheduling agent's job glue: one job = one turn of a task. It claims the turn, lets the
 * conversation (lib/agent/scheduling-conversation.ts) decide and act, and saves the outcome.
 * Every message carries an idempotency key made of task id, turn, step and content, so a job
 * retried after a crash or an error re-sends nothing the user has already seen.
 */

export interface ProcessorHooks {
  /** Runs before each step; fault tests use it to fail or pause a task mid-way. */
  beforeStep?: (step: string, ctx: { taskId: string; turn: number; attempt: number }) => Promise<void> | void;
}

/**
 * The message's idempotency key: task, turn, step, and (unless `volatile`) a hash of the content.
 * A volatile step's content depends on the calendar at the time, which a retry may see
 * differently; one key per step makes the retry find the message the user already has, whose
 * data then wins (see `offerOnce` in the conversation).
 */
function messageKey(job: SchedulingJob, message: AgentMessage): string {
  const base = `task:${job.taskId}:t${job.turn}:${message.step}`;
  return message.volatile ? base : `${base}:${createHash('sha256').update(message.content).digest('hex').slice(0, 16)}`;
}

/** Thrown when the task was deleted (with its account) while its turn ran: the job ends without retry. */
const taskGone = () => new AppError('not_found', 'The task no longer exists');
const isTaskGone = (err: unknown) => err instanceof AppError && err.code === 'not_found';

/**
 * `respond` through the task's channel; rejects when a message could not be delivered, so the job
 * is retried. A task deleted meanwhile (account deletion) gets no more messages: they would
 * recreate rows of a user who is gone.
 */
function respondVia(task: SchedulingTaskRow, job: SchedulingJob, attempt: number, hooks: ProcessorHooks): Respond {
  return async (message) => {
    await hooks.beforeStep?.(message.step, { taskId: task.id, turn: job.turn, attempt });
    if (!(await taskRepository.taskExists(task.id))) throw taskGone();
    switch (task.channel) {
      case 'chat': {
        const sent = await chatResponseService.sendChatMessage(
          {
            type: message.type,
            taskId: task.id,
            userId: task.userId,
            content: message.content,
            data: message.data,
            timestamp: new Date().toISOString(),
            idempotencyKey: messageKey(job, message),
          },
          task.orgId || undefined,
        );
        if (!sent.success) throw new Error(`Chat message delivery failed: ${sent.error}`);
        if (!message.volatile || !sent.duplicate || !sent.messageId) return {};
        const first = await chatResponseService.getMessageById({ id: sent.messageId, userId: task.userId });
        return { firstData: first?.data };
      }
      default:
        throw new Error(`Unsupported response channel: ${task.channel}`);
    }
  };
}

/**
 * The dead-letter handler: the turn failed its last attempt (an error, or a worker that died
 * and let the job expire). Takes back what the task booked (its calendar write never succeeded,
 * or the user never heard of it), tells the user once, without internals, and marks the task FAILED.
 */
export async function failSchedulingTask(job: SchedulingJob): Promise<void> {
  const task = await taskRepository.findInFlightTurn(job);
  if (!task) return;
  const content = (await undoBookingOf(task.id, task.userId, task.timeZone)) ?? say.FAILED;
  await respondVia(task, job, 0, {})({ step: 'failed', type: 'error', content });
  await taskRepository.failTurn(job, say.FAILED);
}

/**
 * Processes one turn of a scheduling task. Throws to have the job retried; after the last
 * attempt pg-boss hands the job to the dead-letter queue (`failSchedulingTask`).
 */
export async function processSchedulingJob(
  job: SchedulingJob,
  attempt: { retryCount: number; retryLimit: number },
  hooks: ProcessorHooks = {},
): Promise<void> {
  const task = await taskRepository.claimTurn(job);
  if (!task) return;
  const preferences = await userService.getSchedulingPreferences(task.userId);
  const respond = respondVia(task, job, attempt.retryCount, hooks);
  const input = job.turn === 0 ? task.request : task.answers[job.turn - 1]!;
  try {
    await respond({ step: 'processing', type: 'scheduling_update', content: say.PROCESSING });
    const turn = {
      taskId: task.id,
      userId: task.userId,
      turn: job.turn,
      timeZone: task.timeZone,
      now: task.updatedAt,
      workingHours: preferences?.workingHours ?? DEFAULT_WORKING_HOURS,
    };
    const outcome = await converse(turn, input, taskRepository.agentStateOf(task), respond);
    await taskRepository.finishTurn(job, outcome);
  } catch (err) {
    if (isTaskGone(err)) {
      getLogger().info({ taskId: task.id, turn: job.turn }, 'scheduling task deleted while its turn ran; job ends');
      return;
    }
    const reason = err instanceof Error ? err.message : String(err);
    getLogger().warn(
      { taskId: task.id, turn: job.turn, attempt: attempt.retryCount, lastAttempt: attempt.retryCount >= attempt.retryLimit, err: reason },
      'scheduling task attempt failed',
    );
    throw err;
  }
}
