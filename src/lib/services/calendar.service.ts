// The reads of calendar_events: the user's meetings (single events and series occurrences), for
// conflict checks, the agenda, the API and the feed. Every write, under the per-user booking lock,
// lives in calendar-booking.service.ts; the two modules together are the table's one owner.
import { and, asc, eq, gt, gte, isNotNull, isNull, lt, or } from 'drizzle-orm';
import { occurrencesBetween } from '@/scheduling/recurrence';
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

/** Longest stretch a new series is checked for conflicts, occurrence by occurrence. */
export const SERIES_HORIZON_DAYS = 90;

/** One meeting in time: a single event, or one occurrence of a series (`recurrence` set). */
export interface Occurrence {
  eventId: string;
  title: string;
  start: Date;
  end: Date;
  attendees: string[];
  recurrence?: string;
}

function occurrencesOf(row: CalendarEventRow, from: Date, to: Date): Occurrence[] {
  const base = { eventId: row.id, title: row.title, attendees: row.attendees };
  const length = row.endsAt.getTime() - row.startsAt.getTime();
  if (!row.recurrence) return [{ ...base, start: row.startsAt, end: row.endsAt }];
  return occurrencesBetween({
    rule: row.recurrence,
    seriesStart: row.startsAt,
    timeZone: row.timeZone ?? 'UTC',
    from: new Date(from.getTime() - length),
    to,
    excluded: row.excludedStarts,
  })
    .map((start) => ({ ...base, start, end: new Date(start.getTime() + length), recurrence: row.recurrence! }))
    .filter((o) => o.end > from);
}

/**
 * The user's confirmed meetings overlapping [from, to), single events and occurrences of series
 * alike, soonest first.
 */
export async function busyBetween(userId: string, from: Date, to: Date, executor?: Executor): Promise<Occurrence[]> {
  const db = executor ?? (await getDb());
  const singles = await db
    .select()
    .from(calendarEvents)
    .where(and(overlapping(userId, from, to), eq(calendarEvents.status, 'CONFIRMED'), isNull(calendarEvents.recurrence)));
  const series = await db
    .select()
    .from(calendarEvents)
    .where(
      and(
        eq(calendarEvents.userId, userId),
        eq(calendarEvents.status, 'CONFIRMED'),
        isNotNull(calendarEvents.recurrence),
        lt(calendarEvents.startsAt, to),
      ),
    );
  return [...singles, ...series].flatMap((row) => occurrencesOf(row, from, to)).sort((a, b) => a.start.getTime() - b.start.getTime());
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
 * The user's events overlapping [from, to), oldest first: single events as stored, and each
 * occurrence of a series within the window as a copy of the series row with that occurrence's
 * start and end. Cancelled meetings are listed alike, with status CANCELLED: a cancelled single
 * event, and every occurrence of a cancelled series. One occurrence cancelled (or moved) out of a
 * confirmed series is an EXDATE of the series and is left out. At most 1,000.
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
  const singles = await db
    .select()
    .from(calendarEvents)
    .where(and(overlapping(userId, from, to), isNull(calendarEvents.recurrence)))
    .orderBy(asc(calendarEvents.startsAt), asc(calendarEvents.id))
    .limit(1_000);
  const series = await db
    .select()
    .from(calendarEvents)
    .where(and(eq(calendarEvents.userId, userId), isNotNull(calendarEvents.recurrence), lt(calendarEvents.startsAt, to)));
  const occurrences = series.flatMap((row) => occurrencesOf(row, from, to).map((o) => ({ ...row, startsAt: o.start, endsAt: o.end })));
  return [...singles, ...occurrences]
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.id.localeCompare(b.id))
    .slice(0, 1_000);
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

/**
 * What the user's ICS feed lists: confirmed events that end after `since`, and every confirmed
 * series (its rule says when it stops), oldest first, at most `limit`.
 */
export async function feedEvents(userId: string, since: Date, limit = 1_000): Promise<CalendarEventRow[]> {
  const db = await getDb();
  return db
    .select()
    .from(calendarEvents)
    .where(
      and(
        eq(calendarEvents.userId, userId),
        eq(calendarEvents.status, 'CONFIRMED'),
        or(isNotNull(calendarEvents.recurrence), gt(calendarEvents.endsAt, since)),
      ),
    )
    .orderBy(asc(calendarEvents.startsAt))
    .limit(limit);
}

/** The event a task booked, if it booked one. */
export async function eventOfTask(taskId: string): Promise<CalendarEventRow | undefined> {
  const db = await getDb();
  const [row] = await db.select().from(calendarEvents).where(eq(calendarEvents.taskId, taskId));
  return row;
}

/** The user's event, if it is theirs. */
export async function eventById({ eventId, userId }: { eventId: string; userId: string }): Promise<CalendarEventRow | undefined> {
  const db = await getDb();
  const [row] = await db
    .select()
    .from(calendarEvents)
    .where(and(eq(calendarEvents.id, eventId), eq(calendarEvents.userId, userId)));
  return row;
}
