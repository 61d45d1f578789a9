import { getEnv } from '@/lib/config/env';
import type { SchedulingTaskRow } from '@/lib/db/schema';
import { AppError, rootCauseMessage } from '@/lib/errors/app-error';
import { enqueueSchedulingTurn } from '@/lib/jobs/scheduling-jobs';
import { getLogger } from '@/lib/log/logger';
import { assertStorableText } from '@/lib/schemas/common';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import * as userService from '@/lib/services/user.service';
import { routeMessage } from '@/scheduling/routing';

/** A waiting task older than this no longer captures the user's next message. */
const WAITING_TASK_TTL_HOURS = 24;

export interface SubmitRequestInput {
  request: string;
  timezone?: string;
  /** Answer this waiting task; without it the newest waiting task (if any) gets the answer. */
  taskId?: string;
}

/** The task as the API shows it: no internals, `error` only as the user-facing text. */
export function toTaskView(task: SchedulingTaskRow) {
  const pending = taskRepository.agentStateOf(task).pending?.kind ?? null;
  return {
    id: task.id,
    status: task.status,
    channel: task.channel,
    request: task.request,
    answers: task.answers,
    userMessages: [
      { text: task.request, sentAt: task.createdAt.toISOString() },
      // Answers stored before their times were kept (answerTimes) read as of the task's last change.
      ...task.answers.map((text, i) => ({ text, sentAt: task.answerTimes[i] ?? task.updatedAt.toISOString() })),
    ],
    timeZone: task.timeZone,
    waitingFor: task.status === 'WAITING_FOR_USER' ? pending : null,
    result: task.result ?? null,
    error: task.error,
    attempts: task.attempts,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}

/** The user's time zone: the request's, else the saved one, else DEFAULT_TIMEZONE; saves the first one seen. */
async function resolveTimeZone(userId: string, requested: string | undefined): Promise<string> {
  const saved = (await userService.getSchedulingPreferences(userId))?.timeZone;
  if (requested && !saved) await userService.saveTimeZoneIfUnset(userId, requested);
  return requested ?? saved ?? getEnv().DEFAULT_TIMEZONE;
}

async function enqueue(task: SchedulingTaskRow): Promise<void> {
  try {
    await enqueueSchedulingTurn({ taskId: task.id, turn: task.answers.length });
  } catch (err) {
    // Without a job the task would wait forever; fail it visibly instead.
    getLogger().error({ err: rootCauseMessage(err), taskId: task.id }, 'could not enqueue task');
    await taskRepository.failUnqueued({ taskId: task.id, error: 'Failed to schedule meeting' }).catch(() => {});
    throw err;
  }
}

/** Would `request` be an answer (or a way out, or an unclear reply) to what `task` waits for, rather than a request of its own? */
function belongsTo(task: SchedulingTaskRow, request: string): boolean {
  const pending = taskRepository.agentStateOf(task).pending;
  return routeMessage(request, pending, { now: new Date(), timeZone: task.timeZone }) !== 'new-request';
}

/**
 * Takes a chat request from the user. While one of the user's tasks waits for an answer, a
 * message that answers it (or is a way out, or unclear, which the agent then asks about) goes to
 * that task (`taskId` when given, else the newest waiting task) and the task continues; a message
 * that carries its own request ("what's on my calendar this week?") starts a new task and leaves
 * the question open. Either way a job is queued.
 *
 * @throws AppError `not_found` for a `taskId` that is not the user's; `invalid_input` for a task
 *   that is not waiting for an answer, or for text PostgreSQL cannot store (NUL, unpaired
 *   surrogates) in any field, named.
 */
export async function submitRequest(userId: string, input: SubmitRequestInput): Promise<{ taskId: string; status: 'QUEUED' }> {
  assertStorableText({ userId, ...input });
  const request = input.request.trim();
  if (input.taskId) {
    const target = await getTask({ taskId: input.taskId, userId });
    if (target.status === 'WAITING_FOR_USER' && !belongsTo(target, request)) return startTask(userId, request, input.timezone);
    const answered = await taskRepository.appendAnswer({ taskId: input.taskId, userId, answer: request });
    if (!answered) {
      await getTask({ taskId: input.taskId, userId });
      throw new AppError('invalid_input', 'taskId: this task is not waiting for an answer');
    }
    await enqueue(answered);
    return { taskId: answered.id, status: 'QUEUED' };
  }
  const waiting = await taskRepository.findNewestWaitingTask({ userId, maxAgeHours: WAITING_TASK_TTL_HOURS });
  const answered =
    waiting && belongsTo(waiting, request) && (await taskRepository.appendAnswer({ taskId: waiting.id, userId, answer: request }));
  if (answered) {
    await enqueue(answered);
    return { taskId: answered.id, status: 'QUEUED' };
  }
  return startTask(userId, request, input.timezone);
}

async function startTask(userId: string, request: string, timezone: string | undefined): Promise<{ taskId: string; status: 'QUEUED' }> {
  const task = await taskRepository.insertTask({ userId, request, timeZone: await resolveTimeZone(userId, timezone) });
  await enqueue(task);
  return { taskId: task.id, status: 'QUEUED' };
}

/**
 * The user's own task.
 * @throws AppError `not_found` when it does not exist or belongs to someone else.
 */
export async function getTask({ taskId, userId }: { taskId: string; userId: string }): Promise<SchedulingTaskRow> {
  const task = await taskRepository.findOwnedTask({ taskId, userId });
  if (!task) throw new AppError('not_found', 'No such task');
  return task;
}

/** The user's most recent tasks, newest first (the chat shows their words and the "agent is working" state). */
export async function listRecentTasks(userId: string, limit = 50): Promise<SchedulingTaskRow[]> {
  return taskRepository.listRecentTasks({ userId, limit });
}
