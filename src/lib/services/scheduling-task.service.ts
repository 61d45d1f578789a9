import { and, desc, eq, gt, sql } from 'drizzle-orm';
import { getEnv } from '@/lib/config/env';
import { getDb } from '@/lib/db/client';
import { schedulingAgentTasks, users, type SchedulingTaskRow } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { enqueueSchedulingTurn } from '@/workers/queue';

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
  const pending = (task.intent as { pending?: { kind?: string } } | null)?.pending?.kind ?? null;
  return {
    id: task.id,
    status: task.status,
    channel: task.channel,
    request: task.request,
    answers: task.answers,
    timeZone: task.timeZone,
    waitingFor: task.status === 'WAITING_FOR_USER' ? pending : null,
    result: task.result ?? null,
    error: task.error,
    attempts: task.attempts,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}

/** Appends `answer` to a waiting task and re-queues it; undefined when the task is not waiting. */
async function appendAnswer(taskId: string, userId: string, answer: string): Promise<SchedulingTaskRow | undefined> {
  const db = await getDb();
  const [row] = await db
    .update(schedulingAgentTasks)
    .set({
      answers: sql`${schedulingAgentTasks.answers} || jsonb_build_array(${answer}::text)`,
      status: 'QUEUED',
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(schedulingAgentTasks.id, taskId),
        eq(schedulingAgentTasks.userId, userId),
        eq(schedulingAgentTasks.status, 'WAITING_FOR_USER'),
      ),
    )
    .returning();
  return row;
}

async function newestWaitingTask(userId: string): Promise<SchedulingTaskRow | undefined> {
  const db = await getDb();
  const [row] = await db
    .select()
    .from(schedulingAgentTasks)
    .where(
      and(
        eq(schedulingAgentTasks.userId, userId),
        eq(schedulingAgentTasks.status, 'WAITING_FOR_USER'),
        gt(schedulingAgentTasks.updatedAt, sql`now() - make_interval(hours => ${WAITING_TASK_TTL_HOURS})`),
      ),
    )
    .orderBy(desc(schedulingAgentTasks.updatedAt))
    .limit(1);
  return row;
}

/** The user's time zone: the request's, else the saved one, else DEFAULT_TIMEZONE; saves the first one seen. */
async function resolveTimeZone(userId: string, requested: string | undefined): Promise<string> {
  const db = await getDb();
  const [user] = await db.select({ timeZone: users.timeZone }).from(users).where(eq(users.id, userId));
  if (requested && !user?.timeZone) {
    await db.update(users).set({ timeZone: requested }).where(eq(users.id, userId));
  }
  return requested ?? user?.timeZone ?? getEnv().DEFAULT_TIMEZONE;
}

async function enqueue(task: SchedulingTaskRow): Promise<void> {
  try {
    await enqueueSchedulingTurn({ taskId: task.id, turn: task.answers.length });
  } catch (err) {
    // Without a job the task would wait forever; fail it visibly instead.
    getLogger().error({ err: err instanceof Error ? err.message : String(err), taskId: task.id }, 'could not enqueue task');
    const db = await getDb();
    await db
      .update(schedulingAgentTasks)
      .set({ status: 'FAILED', error: 'Failed to schedule meeting', updatedAt: sql`now()` })
      .where(eq(schedulingAgentTasks.id, task.id))
      .catch(() => {});
    throw err;
  }
}

/**
 * Takes a chat request from the user. While one of the user's tasks waits for an answer, the
 * request is that answer (to `taskId` when given, else to the newest waiting task) and the task
 * continues; otherwise a new task is created. Either way a job is queued.
 *
 * @throws AppError `not_found` for a `taskId` that is not the user's; `invalid_input` for a task
 *   that is not waiting for an answer.
 */
export async function submitRequest(userId: string, input: SubmitRequestInput): Promise<{ taskId: string; status: 'QUEUED' }> {
  const request = input.request.trim();
  if (input.taskId) {
    const answered = await appendAnswer(input.taskId, userId, request);
    if (!answered) {
      await getTask(input.taskId, userId);
      throw new AppError('invalid_input', 'taskId: this task is not waiting for an answer');
    }
    await enqueue(answered);
    return { taskId: answered.id, status: 'QUEUED' };
  }
  const waiting = await newestWaitingTask(userId);
  const answered = waiting && (await appendAnswer(waiting.id, userId, request));
  if (answered) {
    await enqueue(answered);
    return { taskId: answered.id, status: 'QUEUED' };
  }
  const db = await getDb();
  const [task] = await db
    .insert(schedulingAgentTasks)
    .values({ userId, request, channel: 'chat', timeZone: await resolveTimeZone(userId, input.timezone) })
    .returning();
  await enqueue(task!);
  return { taskId: task!.id, status: 'QUEUED' };
}

/**
 * The user's own task.
 * @throws AppError `not_found` when it does not exist or belongs to someone else.
 */
export async function getTask(taskId: string, userId: string): Promise<SchedulingTaskRow> {
  const db = await getDb();
  const [task] = await db
    .select()
    .from(schedulingAgentTasks)
    .where(and(eq(schedulingAgentTasks.id, taskId), eq(schedulingAgentTasks.userId, userId)));
  if (!task) throw new AppError('not_found', 'No such task');
  return task;
}

/** The user's most recent tasks, newest first (for the chat UI's "agent is working" state). */
export async function listRecentTasks(userId: string, limit = 20): Promise<SchedulingTaskRow[]> {
  const db = await getDb();
  return db
    .select()
    .from(schedulingAgentTasks)
    .where(eq(schedulingAgentTasks.userId, userId))
    .orderBy(desc(schedulingAgentTasks.createdAt))
    .limit(limit);
}
