import { createHash } from 'node:crypto';
import type { SchedulingTaskRow } from '@/lib/db/schema';
import { undoBookingOf } from '@/lib/agent/calendar-access';
import { converse, type AgentMessage, type Report, type Respond } from '@/lib/agent/scheduling-conversation';
import { inviteAttachment } from '@/lib/calendar-ics/invite';
import { AppError } from '@/lib/errors/app-error';
import type { SchedulingJob } from '@/lib/jobs/scheduling-jobs';
import { getLogger } from '@/lib/log/logger';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import type { AttachmentInput } from '@/lib/schemas/attachments';
import * as calendarService from '@/lib/services/calendar.service';
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
 * The calendar invite a message carries: `METHOD:REQUEST` for a CONFIRMATION (booked or moved),
 * `METHOD:CANCEL` for a CANCELLATION (the one occurrence when `data.occurrence` names it), for
 * the event `data.eventId` names. None when the message names no event of the user.
 */
async function invitesFor(task: SchedulingTaskRow, message: AgentMessage): Promise<AttachmentInput[]> {
  if (message.type !== 'confirmation' && message.type !== 'cancellation') return [];
  const eventId = message.data?.eventId;
  if (typeof eventId !== 'string') return [];
  const event = await calendarService.eventById({ eventId, userId: task.userId });
  if (!event) return [];
  if (message.type === 'confirmation') return [inviteAttachment(event, 'REQUEST')];
  const occurrence =
    message.data?.scope === 'occurrence' && typeof message.data.occurrence === 'string' ? message.data.occurrence : undefined;
  return [inviteAttachment(event, 'CANCEL', occurrence)];
}

/** Which activity the user sees after a step's stored update, until the next message of the task. */
const STEP_ACTIVITY: Record<string, 'thinking' | 'checking_availability'> = {
  processing: 'thinking',
  checking: 'checking_availability',
};

/** Reports the agent's activity on the task (ephemeral; a failure is logged by the service, never fails the turn). */
function reportVia(task: SchedulingTaskRow): Report {
  return async (state) => {
    if (task.channel !== 'chat') return;
    await chatResponseService.sendActivity({ userId: task.userId, taskId: task.id, state });
  };
}

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
        const attachments = await invitesFor(task, message);
        const sent = await chatResponseService.sendChatMessage(
          {
            type: message.type,
            taskId: task.id,
            userId: task.userId,
            content: message.content,
            data: message.data,
            timestamp: new Date().toISOString(),
            idempotencyKey: messageKey(job, message),
            ...(attachments.length > 0 && { attachments }),
          },
          task.orgId || undefined,
        );
        if (!sent.success) throw new Error(`Chat message delivery failed: ${sent.error}`);
        // After the stored update, so that update (older than the activity) does not clear it on the clients.
        const activity = STEP_ACTIVITY[message.step];
        if (activity) await reportVia(task)(activity);
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
    const outcome = await converse(turn, input, taskRepository.agentStateOf(task), respond, reportVia(task));
    await taskRepository.finishTurn(job, outcome);
    // The turn's last message already cleared the activity on the clients; `idle` covers a turn
    // that ended without one.
    await reportVia(task)('idle');
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
