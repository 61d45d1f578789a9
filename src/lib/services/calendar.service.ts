import { and, asc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/lib/db/client';
import { calendarEvents, type CalendarEventRow } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import { EARLIEST_INSTANT, isStorableInstant } from '@/lib/schemas/text';

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
  // Never before year 1: PostgreSQL refuses year 0, and a range starting in year 1 is valid.
  const earliestStart = new Date(Math.max(from.getTime() - MAX_EVENT_MINUTES * 60_000, EARLIEST_INSTANT.getTime()));
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
 * @throws AppError `invalid_input` when `to` is not after `from`, the range exceeds 92 days or
 *   leaves the years 1..9999.
 */
export async function listEvents(userId: string, from: Date, to: Date): Promise<CalendarEventRow[]> {
  if (!isStorableInstant(from)) throw new AppError('invalid_input', 'from: must be within the years 0001 to 9999 (UTC)');
  if (!isStorableInstant(to)) throw new AppError('invalid_input', 'to: must be within the years 0001 to 9999 (UTC)');
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

/**
 * Books [startsAt, endsAt) for the task unless it overlaps a confirmed event. The check and the
 * insert run under a per-user advisory lock so two tasks cannot take one slot; a task that
 * already booked (a retried step) gets its own event back.
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
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`calendar:${input.userId}`}))`);
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
