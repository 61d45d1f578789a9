import { and, asc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/lib/db/client';
import { calendarEvents, type CalendarEventRow } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import { taskExists } from '@/lib/repositories/scheduling-task.repository';

/** Longest event the agent books; bounds the index scan of overlap queries. */
export const MAX_EVENT_MINUTES = 480;
/** Longest range `GET /api/calendar/events` serves. */
export const MAX_RANGE_DAYS = 92;

type Executor = Pick<Db, 'select'>;

/**
 * Events of the user overlapping [from, to): `startsAt < to AND endsAt > from`, plus
 * `startsAt > from - MAX_EVENT_MINUTES` so the (userId, startsAt, endsAt) index bounds the scan
 * on both sides.
 */
function overlapping(userId: string, from: Date, to: Date) {
  const earliestStart = new Date(from.getTime() - MAX_EVENT_MINUTES * 60_000);
  return and(
    eq(calendarEvents.userId, userId),
    gt(calendarEvents.startsAt, earliestStart),
    lt(calendarEvents.startsAt, to),
    gt(calendarEvents.endsAt, from),
  );
}

/** The user's confirmed events overlapping [from, to), soonest first. */
export async function findOverlapping(userId: string, from: Date, to: Date, executor?: Executor): Promise<CalendarEventRow[]> {
  const db = executor ?? (await getDb());
  return db
    .select()
    .from(calendarEvents)
    .where(and(overlapping(userId, from, to), eq(calendarEvents.status, 'CONFIRMED')))
    .orderBy(asc(calendarEvents.startsAt));
}

/**
 * The user's events (confirmed and cancelled) overlapping [from, to), oldest first.
 * @throws AppError `invalid_input` when `to` is not after `from` or the range exceeds 92 days.
 */
export async function listEvents(userId: string, from: Date, to: Date): Promise<CalendarEventRow[]> {
  if (!(to > from)) throw new AppError('invalid_input', 'to: must be after from');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new AppError('invalid_input', `to: the range must be at most ${MAX_RANGE_DAYS} days`);
  }
  const db = await getDb();
  return db
    .select()
    .from(calendarEvents)
    .where(overlapping(userId, from, to))
    .orderBy(asc(calendarEvents.startsAt), asc(calendarEvents.id))
    .limit(1_000);
}

/** The user's confirmed events starting at or after `from`, soonest first (at most `limit`). */
export async function upcomingEvents(userId: string, from: Date, limit = 200): Promise<CalendarEventRow[]> {
  const db = await getDb();
  return db
    .select()
    .from(calendarEvents)
    .where(and(eq(calendarEvents.userId, userId), eq(calendarEvents.status, 'CONFIRMED'), gte(calendarEvents.startsAt, from)))
    .orderBy(asc(calendarEvents.startsAt))
    .limit(limit);
}

/** The event a task booked, if it booked one. */
export async function eventOfTask(taskId: string): Promise<CalendarEventRow | undefined> {
  const db = await getDb();
  const [row] = await db.select().from(calendarEvents).where(eq(calendarEvents.taskId, taskId));
  return row;
}

export type BookingResult = { booked: CalendarEventRow } | { conflicts: CalendarEventRow[] };

/** The per-user advisory lock that bookings and account deletion take, in their transactions. */
function lockCalendarOf(tx: Pick<Db, 'execute'>, userId: string) {
  return tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`calendar:${userId}`}))`);
}

/**
 * Books [startsAt, endsAt) for the task unless it overlaps a confirmed event. The check and the
 * insert run under a per-user advisory lock so two tasks cannot take one slot; a task that
 * already booked (a retried step) gets its own event back.
 * @throws AppError `not_found` when the task is gone (its account was deleted meanwhile): account
 *   deletion takes the same lock, so a booking never outlives the account.
 */
export async function bookEvent(input: {
  userId: string;
  taskId: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  attendees: string[];
}): Promise<BookingResult> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    await lockCalendarOf(tx, input.userId);
    if (!(await taskExists(input.taskId, tx))) throw new AppError('not_found', 'The task no longer exists');
    const [existing] = await tx.select().from(calendarEvents).where(eq(calendarEvents.taskId, input.taskId));
    if (existing) return { booked: existing };
    const conflicts = await findOverlapping(input.userId, input.startsAt, input.endsAt, tx);
    if (conflicts.length > 0) return { conflicts };
    const [booked] = await tx.insert(calendarEvents).values(input).returning();
    return { booked: booked! };
  });
}

/** Cancels the user's event (idempotent); undefined when it is not the user's. */
export async function cancelEvent({ eventId, userId }: { eventId: string; userId: string }): Promise<CalendarEventRow | undefined> {
  const db = await getDb();
  const [row] = await db
    .update(calendarEvents)
    .set({ status: 'CANCELLED', updatedAt: sql`now()` })
    .where(and(eq(calendarEvents.id, eventId), eq(calendarEvents.userId, userId)))
    .returning();
  return row;
}

/** Deletes every event of the user (account deletion, inside its transaction); returns how many. */
export async function deleteEventsOfUser(tx: Pick<Db, 'execute' | 'delete'>, userId: string): Promise<number> {
  await lockCalendarOf(tx, userId);
  const deleted = await tx.delete(calendarEvents).where(eq(calendarEvents.userId, userId)).returning({ id: calendarEvents.id });
  return deleted.length;
}
