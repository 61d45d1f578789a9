import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/lib/db/client';
import { schedulingAgentTasks, type SchedulingTaskRow } from '@/lib/db/schema';
import { parseAgentState, type AgentState, type CancelCandidate } from '@/scheduling/agent-state';

/**
 * Every read and write of `scheduling_agent_tasks`, so the states a task can be in are visible in
 * one file:
 *
 *   insertTask -> QUEUED -> claimTurn -> PROCESSING -> finishTurn -> WAITING_FOR_USER | COMPLETED
 *                                                    -> failTurn   -> FAILED (last attempt)
 *   WAITING_FOR_USER -> appendAnswer -> QUEUED (the next turn)
 *   QUEUED -> failUnqueued -> FAILED (the job could not be queued)
 *   any -> deleteTasksOfUser -> gone (account deletion; a later job of the task finds nothing to claim)
 *
 * A task's turn is the number of answers it holds; the processor's writes are guarded by the
 * turn, so a late attempt of an earlier turn touches nothing once the task has moved on.
 */

/** One turn of one task: the key of a job and of every write the job makes. */
export interface TaskTurn {
  taskId: string;
  turn: number;
}

export type TaskOutcome =
  { status: 'WAITING_FOR_USER'; state: AgentState } | { status: 'COMPLETED'; state: AgentState; result: Record<string, unknown> };

/** The agent state stored in the task, parsed (a part that does not parse reads as absent). */
export function agentStateOf(task: SchedulingTaskRow): AgentState {
  return parseAgentState(task.intent);
}

const inFlight = inArray(schedulingAgentTasks.status, ['QUEUED', 'PROCESSING']);
/** The task is at turn `turn` (its answers so far). */
const atTurn = (turn: number) => sql`jsonb_array_length(${schedulingAgentTasks.answers}) = ${turn}`;
const isTurn = ({ taskId, turn }: TaskTurn) => and(eq(schedulingAgentTasks.id, taskId), inFlight, atTurn(turn));

/** Creates a task for the user's request, QUEUED at turn 0. */
export async function insertTask(values: { userId: string; request: string; timeZone: string }): Promise<SchedulingTaskRow> {
  const db = await getDb();
  const [task] = await db
    .insert(schedulingAgentTasks)
    .values({ ...values, channel: 'chat' })
    .returning();
  return task!;
}

/** The user's own task, if it is theirs. */
export async function findOwnedTask({ taskId, userId }: { taskId: string; userId: string }): Promise<SchedulingTaskRow | undefined> {
  const db = await getDb();
  const [task] = await db
    .select()
    .from(schedulingAgentTasks)
    .where(and(eq(schedulingAgentTasks.id, taskId), eq(schedulingAgentTasks.userId, userId)));
  return task;
}

/** The user's most recent tasks, newest first. */
export async function listRecentTasks({ userId, limit }: { userId: string; limit: number }): Promise<SchedulingTaskRow[]> {
  const db = await getDb();
  return db
    .select()
    .from(schedulingAgentTasks)
    .where(eq(schedulingAgentTasks.userId, userId))
    .orderBy(desc(schedulingAgentTasks.createdAt))
    .limit(limit);
}

/** The user's most recently updated task waiting for an answer, unless it waited longer than `maxAgeHours`. */
export async function findNewestWaitingTask({
  userId,
  maxAgeHours,
}: {
  userId: string;
  maxAgeHours: number;
}): Promise<SchedulingTaskRow | undefined> {
  const db = await getDb();
  const [row] = await db
    .select()
    .from(schedulingAgentTasks)
    .where(
      and(
        eq(schedulingAgentTasks.userId, userId),
        eq(schedulingAgentTasks.status, 'WAITING_FOR_USER'),
        gt(schedulingAgentTasks.updatedAt, sql`now() - make_interval(hours => ${maxAgeHours})`),
      ),
    )
    .orderBy(desc(schedulingAgentTasks.updatedAt))
    .limit(1);
  return row;
}

/** Appends `answer` to the user's waiting task and re-queues it (the next turn); undefined when the task is not waiting. */
export async function appendAnswer({
  taskId,
  userId,
  answer,
}: {
  taskId: string;
  userId: string;
  answer: string;
}): Promise<SchedulingTaskRow | undefined> {
  const db = await getDb();
  const [row] = await db
    .update(schedulingAgentTasks)
    .set({
      answers: sql`${schedulingAgentTasks.answers} || jsonb_build_array(${answer}::text)`,
      // The same clock as the messages' createdAt, so the chat interleaves them in the right order.
      answerTimes: sql`${schedulingAgentTasks.answerTimes} || jsonb_build_array(to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
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

/** Marks a task FAILED whose job could not be queued (without a job it would wait forever). */
export async function failUnqueued({ taskId, error }: { taskId: string; error: string }): Promise<void> {
  const db = await getDb();
  await db
    .update(schedulingAgentTasks)
    .set({ status: 'FAILED', error, updatedAt: sql`now()` })
    .where(eq(schedulingAgentTasks.id, taskId));
}

/** Claims the task for one attempt of this turn; undefined when it is not waiting to be processed (done, or moved on). */
export async function claimTurn(job: TaskTurn): Promise<SchedulingTaskRow | undefined> {
  const db = await getDb();
  const [task] = await db
    .update(schedulingAgentTasks)
    // updatedAt is left alone: it is when the user sent this turn, the processor's "now".
    .set({ status: 'PROCESSING', attempts: sql`${schedulingAgentTasks.attempts} + 1` })
    .where(isTurn(job))
    .returning();
  return task;
}

/** The task while this turn is still in flight (not finished, not moved on). */
export async function findInFlightTurn(job: TaskTurn): Promise<SchedulingTaskRow | undefined> {
  const db = await getDb();
  const [task] = await db.select().from(schedulingAgentTasks).where(isTurn(job));
  return task;
}

/** Saves what the turn came to: the agent waits for the user, or the task is done. */
export async function finishTurn(job: TaskTurn, outcome: TaskOutcome): Promise<void> {
  const db = await getDb();
  await db
    .update(schedulingAgentTasks)
    .set({
      status: outcome.status,
      intent: outcome.state,
      ...(outcome.status === 'COMPLETED' ? { result: outcome.result } : {}),
      error: null,
      updatedAt: sql`now()`,
    })
    .where(isTurn(job));
}

/** Marks the task FAILED after the turn's last attempt, with the user-facing `error`. */
export async function failTurn(job: TaskTurn, error: string): Promise<void> {
  const db = await getDb();
  await db
    .update(schedulingAgentTasks)
    .set({ status: 'FAILED', error, updatedAt: sql`now()` })
    .where(isTurn(job));
}

/**
 * Records the event this turn is about to cancel. Once cancelled the event no longer matches a
 * search, so a retried attempt finds it here.
 */
export async function rememberCancellation({
  taskId,
  turn,
  candidate,
  scope,
}: TaskTurn & { candidate: CancelCandidate; scope?: 'occurrence' | 'series' }): Promise<void> {
  const db = await getDb();
  const cancelling: AgentState = { cancelling: { turn, candidate, ...(scope && { scope }) } };
  await db
    .update(schedulingAgentTasks)
    .set({ intent: sql`coalesce(${schedulingAgentTasks.intent}, '{}'::jsonb) || ${JSON.stringify(cancelling)}::jsonb` })
    .where(eq(schedulingAgentTasks.id, taskId));
}

/** Whether the task still exists (it goes with its user's account). */
export async function taskExists(taskId: string, executor?: Pick<Db, 'select'>): Promise<boolean> {
  const db = executor ?? (await getDb());
  const [row] = await db.select({ id: schedulingAgentTasks.id }).from(schedulingAgentTasks).where(eq(schedulingAgentTasks.id, taskId));
  return row !== undefined;
}

/** Deletes every task of the user (account deletion); returns how many. Their queued jobs then end without work. */
export async function deleteTasksOfUser(db: Pick<Db, 'delete'>, userId: string): Promise<number> {
  const deleted = await db
    .delete(schedulingAgentTasks)
    .where(eq(schedulingAgentTasks.userId, userId))
    .returning({ id: schedulingAgentTasks.id });
  return deleted.length;
}
