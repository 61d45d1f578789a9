import { createHash } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { getDb } from '@/lib/db/client';
import { schedulingAgentTasks, users, type SchedulingTaskRow } from '@/lib/db/schema';
import { getLogger } from '@/lib/log/logger';
import * as calendarService from '@/lib/services/calendar.service';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as say from '@/scheduling/agent-messages';
import { mergeClarification, parseAlternativeChoice } from '@/scheduling/answers';
import {
  DEFAULT_WORKING_HOURS,
  findAlternatives,
  formatLocal,
  isWithinWorkingHours,
  type Slot,
  type WorkingHours,
} from '@/scheduling/availability';
import { ParsedRequestSchema, parseSchedulingRequest, type ParsedRequest } from '@/scheduling/parse-request';
import { formatHm, formatYmd, getZonedParts } from '@/scheduling/tz';
import type { SchedulingJob } from '../queue';

/**
 * The scheduling agent's processor: one job = one turn of a task (the request, or the user's
 * answer to the agent's last question). Every step talks to the user through chat, and every
 * message carries an idempotency key made of task id, turn, step and content, so a job retried
 * after a crash or an error re-sends nothing the user has already seen.
 */

type ResponseType = 'scheduling_update' | 'confirmation' | 'clarification' | 'cancellation' | 'error' | 'info';

interface CancelCandidate extends Slot {
  eventId: string;
  title: string;
}

/** What the agent is waiting for when a task is WAITING_FOR_USER. */
type Pending =
  | { kind: 'details' }
  | { kind: 'request' }
  | { kind: 'alternatives'; alternatives: Slot[] }
  | { kind: 'cancel-choice'; candidates: CancelCandidate[] };

/** Stored in `scheduling_agent_tasks.intent`. */
interface AgentState {
  parsed?: ParsedRequest;
  pending?: Pending;
  /** The event a turn decided to cancel, saved before cancelling so a retry finishes that one. */
  cancelling?: { turn: number; candidate: CancelCandidate };
}

export interface ProcessorHooks {
  /** Runs before each step; fault tests use it to fail or pause a task mid-way. */
  beforeStep?: (step: string, ctx: { taskId: string; turn: number; attempt: number }) => Promise<void> | void;
}

interface Turn {
  task: SchedulingTaskRow;
  turn: number;
  attempt: number;
  /** When the user sent this turn: relative dates ("tomorrow") are read against it, on every attempt alike. */
  now: Date;
  workingHours: WorkingHours;
  hooks: ProcessorHooks;
}

type Outcome =
  | { status: 'WAITING_FOR_USER'; state: AgentState }
  | { status: 'COMPLETED'; state: AgentState; result: Record<string, unknown> };

/**
 * The message's idempotency key: task, turn, step, and (unless `volatile`) a hash of the content.
 * A volatile step's content depends on the calendar at the time (free slots, meetings to pick
 * from), which a retry may see differently; one key per step makes the retry find the message
 * the user already has, whose data then wins (see `offerOnce`).
 */
function messageKey(turn: Turn, step: string, content: string, volatile: boolean): string {
  const base = `task:${turn.task.id}:t${turn.turn}:${step}`;
  return volatile ? base : `${base}:${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
}

/** Sends one message of a step through the task's channel; throws when it could not be delivered, so the job is retried. */
async function respond(
  turn: Turn,
  step: string,
  responseType: ResponseType,
  chatContent: string,
  chatData?: Record<string, unknown>,
  options: { volatile?: boolean } = {},
): Promise<chatResponseService.SendChatMessageResult> {
  const { task } = turn;
  const taskId = task.id;
  await turn.hooks.beforeStep?.(step, { taskId, turn: turn.turn, attempt: turn.attempt });
  switch (task.channel) {
    case 'chat': {
      // Build chat message based on response type
      const chatResult = await chatResponseService.sendChatMessage(
        {
          type: responseType === 'error' ? 'error' : responseType,
          taskId,
          userId: task.userId,
          content: chatContent,
          data: chatData,
          timestamp: new Date().toISOString(),
          idempotencyKey: messageKey(turn, step, chatContent, options.volatile ?? false),
        },
        task.orgId || undefined,
      );

      if (!chatResult.success) {
        throw new Error(`Chat message delivery failed: ${chatResult.error}`);
      }
      return chatResult;
    }
    default:
      throw new Error(`Unsupported response channel: ${task.channel}`);
  }
}

/**
 * Sends a volatile offer (choices computed from the calendar now) once per turn and step, and
 * returns the choices the user actually got: ours, or on a retry the ones stored with the first send.
 */
async function offerOnce<T>(
  turn: Turn,
  step: string,
  responseType: ResponseType,
  content: string,
  data: Record<string, unknown>,
  field: string,
  choices: T[],
): Promise<T[]> {
  const sent = await respond(turn, step, responseType, content, data, { volatile: true });
  if (!sent.duplicate || !sent.messageId) return choices;
  const first = await chatResponseService.getMessageById(sent.messageId, turn.task.userId);
  const shown = first?.data?.[field];
  return Array.isArray(shown) ? (shown as T[]) : choices;
}

async function book(turn: Turn, parsed: ParsedRequest, start: Date): Promise<Outcome> {
  const { task } = turn;
  const end = new Date(start.getTime() + parsed.durationMinutes * 60_000);
  const outcome = await calendarService.bookEvent({
    userId: task.userId,
    taskId: task.id,
    title: parsed.title,
    startsAt: start,
    endsAt: end,
    attendees: parsed.attendees,
  });
  if ('conflicts' in outcome) return offer(turn, parsed, start, outcome.conflicts[0]!.title);
  const event = outcome.booked;
  await respond(turn, 'confirmed', 'confirmation', say.confirmation(event.title, event.startsAt, task.timeZone), {
    eventId: event.id,
    startsAt: event.startsAt.toISOString(),
    endsAt: event.endsAt.toISOString(),
    title: event.title,
    attendees: event.attendees,
  });
  return { status: 'COMPLETED', state: { parsed }, result: { eventId: event.id } };
}

/** The requested slot is taken or outside working hours: offer up to three free ones. */
async function offer(turn: Turn, parsed: ParsedRequest, start: Date, conflictTitle?: string): Promise<Outcome> {
  const { task } = turn;
  const from = new Date(turn.now.getTime());
  const busy = await calendarService.findOverlapping(task.userId, from, new Date(from.getTime() + 16 * 86_400_000));
  const alternatives = findAlternatives({
    desiredStart: start,
    durationMinutes: parsed.durationMinutes,
    busy: busy.map((e) => ({ start: e.startsAt, end: e.endsAt })),
    workingHours: turn.workingHours,
    timeZone: task.timeZone,
    now: turn.now,
  });
  const when = formatLocal(start, task.timeZone);
  const reason = conflictTitle
    ? `${when} is taken ("${conflictTitle}").`
    : `${when} is outside your working hours (${say.describeHours(turn.workingHours)}).`;
  if (alternatives.length === 0) {
    await respond(turn, 'no-alternatives', 'clarification', `${reason} I found no free time in the next two weeks. Which other day and time should I try?`);
    return { status: 'WAITING_FOR_USER', state: { parsed: { ...parsed, start: undefined, missing: ['date', 'time'] }, pending: { kind: 'details' } } };
  }
  const shown = await offerOnce(
    turn,
    'alternatives',
    'info',
    say.offerAlternatives(reason, alternatives, task.timeZone),
    {
      alternatives,
      requested: { start: start.toISOString(), end: new Date(start.getTime() + parsed.durationMinutes * 60_000).toISOString() },
    },
    'alternatives',
    alternatives,
  );
  return { status: 'WAITING_FOR_USER', state: { parsed, pending: { kind: 'alternatives', alternatives: shown } } };
}

async function schedule(turn: Turn, parsed: ParsedRequest): Promise<Outcome> {
  const { task } = turn;
  if (parsed.missing.length > 0 || !parsed.start) {
    await respond(turn, 'ask-details', 'clarification', say.askForMissing(parsed), { missing: parsed.missing, title: parsed.title });
    return { status: 'WAITING_FOR_USER', state: { parsed, pending: { kind: 'details' } } };
  }
  await respond(turn, 'checking', 'scheduling_update', say.CHECKING);
  const start = new Date(parsed.start);
  const end = new Date(start.getTime() + parsed.durationMinutes * 60_000);
  const existing = await calendarService.eventOfTask(task.id);
  if (existing) return book(turn, parsed, existing.startsAt);
  if (!isWithinWorkingHours(start, end, turn.workingHours, task.timeZone)) return offer(turn, parsed, start);
  return book(turn, parsed, start);
}

async function cancelOne(turn: Turn, candidate: CancelCandidate): Promise<Outcome> {
  const { task } = turn;
  // Once cancelled the event no longer matches a search; a retry must find it from here.
  await rememberCancellation(task.id, turn.turn, candidate);
  const event = await calendarService.cancelEvent(candidate.eventId, task.userId);
  if (!event) throw new Error(`event ${candidate.eventId} vanished`);
  await respond(turn, 'cancelled', 'cancellation', say.cancellation(event.title, event.startsAt, task.timeZone), { eventId: event.id });
  return { status: 'COMPLETED', state: {}, result: { cancelledEventId: event.id } };
}

function matchesCancel(parsed: ParsedRequest, event: { startsAt: Date; attendees: string[] }, timeZone: string): boolean {
  // The parse's date and time are wall-clock values in the zone the user named, else theirs.
  const local = getZonedParts(event.startsAt, parsed.explicitTimeZone ?? timeZone);
  if (parsed.date && formatYmd(local) !== parsed.date) return false;
  if (parsed.time && formatHm(local.hour, local.minute) !== parsed.time) return false;
  const wanted = parsed.attendees.map((a) => a.toLowerCase());
  return wanted.every((name) => event.attendees.some((a) => a.toLowerCase() === name));
}

async function cancel(turn: Turn, parsed: ParsedRequest): Promise<Outcome> {
  const { task } = turn;
  const upcoming = await calendarService.upcomingEvents(task.userId, turn.now);
  const candidates: CancelCandidate[] = upcoming
    .filter((e) => matchesCancel(parsed, e, task.timeZone))
    .map((e) => ({ eventId: e.id, title: e.title, start: e.startsAt.toISOString(), end: e.endsAt.toISOString() }));
  if (candidates.length === 0) {
    await respond(turn, 'nothing-to-cancel', 'info', 'I could not find an upcoming meeting that matches. Nothing was cancelled.');
    return { status: 'COMPLETED', state: { parsed }, result: { cancelledEventId: null } };
  }
  if (candidates.length === 1) return cancelOne(turn, candidates[0]!);
  const offered = candidates.slice(0, 5);
  const list = offered.map((c, i) => `${i + 1}) ${c.title}, ${formatLocal(new Date(c.start), task.timeZone)}`).join('  ');
  const content = `Which meeting should I cancel? ${list}. Reply "the first one", "the second one" or its time.`;
  const shown = await offerOnce(turn, 'which-to-cancel', 'clarification', content, { candidates: offered }, 'candidates', offered);
  return { status: 'WAITING_FOR_USER', state: { parsed, pending: { kind: 'cancel-choice', candidates: shown } } };
}

/** Decides what this turn means given what the agent was waiting for, and acts on it. */
async function converse(turn: Turn, input: string, state: AgentState): Promise<Outcome> {
  const opts = { now: turn.now, timeZone: turn.task.timeZone };
  const pending = state.pending;
  const previous = state.parsed;
  if (state.cancelling?.turn === turn.turn) return cancelOne(turn, state.cancelling.candidate);

  if (pending?.kind === 'alternatives' && previous) {
    const choice = parseAlternativeChoice(input, pending.alternatives, opts);
    if (choice !== null) return book(turn, previous, new Date(pending.alternatives[choice]!.start));
    const merged = mergeClarification({ ...previous, start: undefined, missing: ['date', 'time'] }, input, opts);
    if (merged.intent === 'cancel') return cancel(turn, merged);
    if (merged.start) return schedule(turn, merged);
    await respond(turn, 'which-alternative', 'clarification', `Which time should I book? ${say.listSlots(pending.alternatives, opts.timeZone)}. Reply "the first one", "the second one" or a time.`, {
      alternatives: pending.alternatives,
    });
    return { status: 'WAITING_FOR_USER', state };
  }
  if (pending?.kind === 'cancel-choice') {
    const choice = parseAlternativeChoice(input, pending.candidates, opts);
    if (choice !== null) return cancelOne(turn, pending.candidates[choice]!);
    await respond(turn, 'which-to-cancel-again', 'clarification', 'Which one? Reply "the first one", "the second one" or its time.', {
      candidates: pending.candidates,
    });
    return { status: 'WAITING_FOR_USER', state };
  }

  const parsed = pending?.kind === 'details' && previous ? mergeClarification(previous, input, opts) : parseSchedulingRequest(input, opts);
  if (parsed.intent === 'cancel') return cancel(turn, parsed);
  if (parsed.intent === 'unknown') {
    await respond(turn, 'unparseable', 'clarification', say.unparseable(), { examples: [...say.EXAMPLE_REQUESTS] });
    return { status: 'WAITING_FOR_USER', state: { pending: { kind: 'request' } } };
  }
  return schedule(turn, parsed);
}

function readState(task: SchedulingTaskRow): AgentState {
  const raw = (task.intent ?? {}) as { parsed?: unknown; pending?: Pending; cancelling?: AgentState['cancelling'] };
  const parsed = ParsedRequestSchema.safeParse(raw.parsed);
  return { parsed: parsed.success ? parsed.data : undefined, pending: raw.pending, cancelling: raw.cancelling };
}

/** The task is at turn `turn` (its answers so far), so a late attempt of an earlier turn touches nothing. */
const atTurn = (turn: number) => sql`jsonb_array_length(${schedulingAgentTasks.answers}) = ${turn}`;

/** Claims the task for this attempt of this turn; undefined when it is not waiting to be processed (done, or moved on). */
async function claim(job: SchedulingJob): Promise<SchedulingTaskRow | undefined> {
  const db = await getDb();
  const [task] = await db
    .update(schedulingAgentTasks)
    // updatedAt is left alone: it is when the user sent this turn, the processor's "now".
    .set({ status: 'PROCESSING', attempts: sql`${schedulingAgentTasks.attempts} + 1` })
    .where(
      and(
        eq(schedulingAgentTasks.id, job.taskId),
        inArray(schedulingAgentTasks.status, ['QUEUED', 'PROCESSING']),
        atTurn(job.turn),
      ),
    )
    .returning();
  return task;
}

async function finish(job: SchedulingJob, values: Partial<typeof schedulingAgentTasks.$inferInsert>): Promise<void> {
  const db = await getDb();
  await db
    .update(schedulingAgentTasks)
    .set({ ...values, updatedAt: sql`now()` })
    .where(
      and(
        eq(schedulingAgentTasks.id, job.taskId),
        inArray(schedulingAgentTasks.status, ['QUEUED', 'PROCESSING']),
        atTurn(job.turn),
      ),
    );
}

async function rememberCancellation(taskId: string, turn: number, candidate: CancelCandidate): Promise<void> {
  const db = await getDb();
  await db
    .update(schedulingAgentTasks)
    .set({ intent: sql`coalesce(${schedulingAgentTasks.intent}, '{}'::jsonb) || ${JSON.stringify({ cancelling: { turn, candidate } })}::jsonb` })
    .where(eq(schedulingAgentTasks.id, taskId));
}

function turnOf(task: SchedulingTaskRow, job: SchedulingJob, hooks: ProcessorHooks, attempt: number, workingHours: WorkingHours): Turn {
  return { task, turn: job.turn, attempt, now: task.updatedAt, workingHours, hooks };
}

/**
 * The dead-letter handler: the turn failed its last attempt (an error, or a worker that died
 * and let the job expire). Tells the user once, without internals, and marks the task FAILED.
 */
export async function failSchedulingTask(job: SchedulingJob): Promise<void> {
  const db = await getDb();
  const [task] = await db
    .select()
    .from(schedulingAgentTasks)
    .where(and(eq(schedulingAgentTasks.id, job.taskId), inArray(schedulingAgentTasks.status, ['QUEUED', 'PROCESSING']), atTurn(job.turn)));
  if (!task) return;
  await respond(turnOf(task, job, {}, 0, DEFAULT_WORKING_HOURS), 'failed', 'error', say.FAILED);
  await finish(job, { status: 'FAILED', error: say.FAILED });
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
  const task = await claim(job);
  if (!task) return;
  const db = await getDb();
  const [user] = await db.select({ workingHours: users.workingHours }).from(users).where(eq(users.id, task.userId));
  const turn = turnOf(task, job, hooks, attempt.retryCount, user?.workingHours ?? DEFAULT_WORKING_HOURS);
  const input = job.turn === 0 ? task.request : task.answers[job.turn - 1]!;
  try {
    await respond(turn, 'processing', 'scheduling_update', say.PROCESSING);
    const outcome = await converse(turn, input, readState(task));
    await finish(job, {
      status: outcome.status,
      intent: outcome.state as Record<string, unknown>,
      ...(outcome.status === 'COMPLETED' ? { result: outcome.result } : {}),
      error: null,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    getLogger().warn(
      { taskId: task.id, turn: job.turn, attempt: attempt.retryCount, lastAttempt: attempt.retryCount >= attempt.retryLimit, err: reason },
      'scheduling task attempt failed',
    );
    throw err;
  }
}
