// Over 300 lines: the one owner of calendar_events (every query of the table, with the booking lock
// they share) stays in one module; the providers and ICS live in calendar-provider.ts and lib/calendar-ics.
import { and, asc, eq, gt, gte, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { occurrencesBetween } from '@/scheduling/recurrence';
import { getDb, type Db } from '@/lib/db/client';
import { calendarEvents, type CalendarEventRow } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import { taskExists } from '@/lib/repositories/scheduling-task.repository';
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

/** A conflict: the new meeting's occurrence at `at` overlaps `with`. */
export interface Conflict {
  at: Date;
  with: Occurrence;
}
export type BookingResult = { booked: CalendarEventRow } | { conflicts: Conflict[] };

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Conflicts of [startsAt, endsAt) (each occurrence within the horizon, for a series) with the user's other meetings. */
async function conflictsOf(
  tx: Tx,
  input: { userId: string; startsAt: Date; endsAt: Date; recurrence?: string | null; timeZone?: string | null; excludedStarts?: string[] },
  ignore?: string | ((o: Occurrence) => boolean),
  externalBusy: Occurrence[] = [],
): Promise<Conflict[]> {
  const ignored = typeof ignore === 'function' ? ignore : (o: Occurrence) => o.eventId === ignore;
  const length = input.endsAt.getTime() - input.startsAt.getTime();
  const horizon = new Date(input.startsAt.getTime() + SERIES_HORIZON_DAYS * 86_400_000);
  const starts = input.recurrence
    ? occurrencesBetween({
        rule: input.recurrence,
        seriesStart: input.startsAt,
        timeZone: input.timeZone ?? 'UTC',
        from: input.startsAt,
        to: horizon,
        excluded: input.excludedStarts ?? [],
      })
    : [input.startsAt];
  if (starts.length === 0) return [];
  const busy = [...(await busyBetween(input.userId, starts[0]!, new Date(starts.at(-1)!.getTime() + length), tx)), ...externalBusy].filter(
    (o) => !ignored(o),
  );
  return starts.flatMap((at) => {
    const end = at.getTime() + length;
    const hit = busy.find((o) => o.start.getTime() < end && o.end.getTime() > at.getTime());
    return hit ? [{ at, with: hit }] : [];
  });
}

/** The per-user advisory lock that bookings and account deletion take, in their transactions. */
const lockCalendar = (tx: Pick<Db, 'execute'>, userId: string) =>
  tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`calendar:${userId}`}))`);

/**
 * Books [startsAt, endsAt) for the task unless it overlaps a confirmed meeting (for a series:
 * unless any occurrence within SERIES_HORIZON_DAYS does, apart from `excludedStarts`). The check
 * and the insert run under a per-user advisory lock so two tasks cannot take one slot; a task that
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
  recurrence?: string;
  timeZone?: string;
  excludedStarts?: string[];
  /** Commitments in the user's connected calendar (calendar-provider.ts), checked like the table's. */
  externalBusy?: Occurrence[];
}): Promise<BookingResult> {
  const { externalBusy, ...values } = input;
  const db = await getDb();
  return db.transaction(async (tx) => {
    await lockCalendar(tx, input.userId);
    if (!(await taskExists(input.taskId, tx))) throw new AppError('not_found', 'The task no longer exists');
    const [existing] = await tx.select().from(calendarEvents).where(eq(calendarEvents.taskId, input.taskId));
    if (existing) return { booked: existing };
    const conflicts = await conflictsOf(tx, values, undefined, externalBusy);
    if (conflicts.length > 0) return { conflicts };
    const [booked] = await tx.insert(calendarEvents).values(values).returning();
    return { booked: booked! };
  });
}

/**
 * Moves the user's event (a single event, or a whole series by its first occurrence) to
 * [startsAt, endsAt), keeping its id, unless the new time conflicts with another meeting.
 * Moving it where it already is (a retried step) succeeds. Undefined when it is not the user's.
 */
export async function moveEvent(input: {
  eventId: string;
  userId: string;
  startsAt: Date;
  endsAt: Date;
  externalBusy?: Occurrence[];
}): Promise<BookingResult | undefined> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    await lockCalendar(tx, input.userId);
    const [event] = await tx
      .select()
      .from(calendarEvents)
      .where(and(eq(calendarEvents.id, input.eventId), eq(calendarEvents.userId, input.userId)));
    if (!event) return undefined;
    if (event.startsAt.getTime() === input.startsAt.getTime() && event.endsAt.getTime() === input.endsAt.getTime())
      return { booked: event };
    const conflicts = await conflictsOf(tx, { ...event, startsAt: input.startsAt, endsAt: input.endsAt }, event.id, input.externalBusy);
    if (conflicts.length > 0) return { conflicts };
    const [moved] = await tx
      .update(calendarEvents)
      .set({ startsAt: input.startsAt, endsAt: input.endsAt, updatedAt: sql`now()` })
      .where(eq(calendarEvents.id, event.id))
      .returning();
    return { booked: moved! };
  });
}

/**
 * Moves one occurrence of the user's series to [startsAt, endsAt): the occurrence becomes an
 * EXDATE of the series and a single event of its own (booked by `taskId`, same title and
 * attendees), unless the new time conflicts with another meeting (the moved occurrence does not
 * count). A retried move (the task already booked its event) returns that event. Undefined when
 * the series is not the user's.
 */
export async function moveOccurrence(input: {
  eventId: string;
  userId: string;
  taskId: string;
  occurrenceStart: Date;
  startsAt: Date;
  endsAt: Date;
  externalBusy?: Occurrence[];
}): Promise<(BookingResult & { series: CalendarEventRow }) | undefined> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    await lockCalendar(tx, input.userId);
    const [series] = await tx
      .select()
      .from(calendarEvents)
      .where(and(eq(calendarEvents.id, input.eventId), eq(calendarEvents.userId, input.userId)));
    if (!series) return undefined;
    const [existing] = await tx.select().from(calendarEvents).where(eq(calendarEvents.taskId, input.taskId));
    if (existing) return { booked: existing, series };
    if (!(await taskExists(input.taskId, tx))) throw new AppError('not_found', 'The task no longer exists');
    const self = (o: Occurrence) => o.eventId === series.id && o.start.getTime() === input.occurrenceStart.getTime();
    const conflicts = await conflictsOf(
      tx,
      { userId: input.userId, startsAt: input.startsAt, endsAt: input.endsAt },
      self,
      input.externalBusy,
    );
    if (conflicts.length > 0) return { conflicts, series };
    const [booked] = await tx
      .insert(calendarEvents)
      .values({
        userId: input.userId,
        taskId: input.taskId,
        title: series.title,
        attendees: series.attendees,
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        movedFromEventId: series.id,
        movedFromStart: input.occurrenceStart,
      })
      .returning();
    const iso = input.occurrenceStart.toISOString();
    const [updated] = await tx
      .update(calendarEvents)
      .set({ excludedStarts: [...series.excludedStarts.filter((x) => x !== iso), iso], updatedAt: sql`now()` })
      .where(eq(calendarEvents.id, series.id))
      .returning();
    return { booked: booked!, series: updated! };
  });
}

/**
 * Takes back what the task booked (its last attempt failed): its event becomes CANCELLED, and an
 * occurrence it moved out of a series goes back into the series (its EXDATE removed). Idempotent:
 * a second call finds the event cancelled and changes nothing. Undefined when the task booked nothing.
 */
export async function undoTaskBooking(
  taskId: string,
  userId: string,
): Promise<{ event: CalendarEventRow; restoredSeries?: CalendarEventRow } | undefined> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    await lockCalendar(tx, userId);
    const [event] = await tx
      .select()
      .from(calendarEvents)
      .where(and(eq(calendarEvents.taskId, taskId), eq(calendarEvents.userId, userId)));
    if (!event) return undefined;
    if (event.status !== 'CONFIRMED') return { event };
    const [cancelled] = await tx
      .update(calendarEvents)
      .set({ status: 'CANCELLED', updatedAt: sql`now()` })
      .where(eq(calendarEvents.id, event.id))
      .returning();
    if (!event.movedFromEventId || !event.movedFromStart) return { event: cancelled! };
    const iso = event.movedFromStart.toISOString();
    const [series] = await tx
      .select()
      .from(calendarEvents)
      .where(and(eq(calendarEvents.id, event.movedFromEventId), eq(calendarEvents.userId, userId)));
    if (!series) return { event: cancelled! };
    const [restored] = await tx
      .update(calendarEvents)
      .set({ excludedStarts: series.excludedStarts.filter((x) => x !== iso), updatedAt: sql`now()` })
      .where(eq(calendarEvents.id, series.id))
      .returning();
    return { event: cancelled!, restoredSeries: restored! };
  });
}

/** Cancels one occurrence of the user's series (idempotent); undefined when it is not the user's. */
export async function cancelOccurrence({
  eventId,
  userId,
  start,
}: {
  eventId: string;
  userId: string;
  start: Date;
}): Promise<CalendarEventRow | undefined> {
  const db = await getDb();
  const iso = JSON.stringify([start.toISOString()]);
  const [row] = await db
    .update(calendarEvents)
    .set({
      excludedStarts: sql`CASE WHEN ${calendarEvents.excludedStarts} @> ${iso}::jsonb THEN ${calendarEvents.excludedStarts} ELSE ${calendarEvents.excludedStarts} || ${iso}::jsonb END`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(calendarEvents.id, eventId), eq(calendarEvents.userId, userId)))
    .returning();
  return row;
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

/** The user's event, if it is theirs. */
export async function eventById({ eventId, userId }: { eventId: string; userId: string }): Promise<CalendarEventRow | undefined> {
  const db = await getDb();
  const [row] = await db
    .select()
    .from(calendarEvents)
    .where(and(eq(calendarEvents.id, eventId), eq(calendarEvents.userId, userId)));
  return row;
}

/** Deletes every event of the user (account deletion, inside its transaction); returns how many. */
export async function deleteEventsOfUser(tx: Pick<Db, 'execute' | 'delete'>, userId: string): Promise<number> {
  await lockCalendar(tx, userId);
  const deleted = await tx.delete(calendarEvents).where(eq(calendarEvents.userId, userId)).returning({ id: calendarEvents.id });
  return deleted.length;
}
