// The writes of calendar_events (with calendar.service.ts, which holds the reads, the table's one
// owner): booking, moving, cancelling and taking back events, each in a transaction under the
// per-user advisory lock that account deletion takes too, with conflicts checked inside it.
import { and, eq, sql } from 'drizzle-orm';
import { occurrencesBetween } from '@/scheduling/recurrence';
import { getDb, type Db } from '@/lib/db/client';
import { calendarEvents, type CalendarEventRow } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import { taskExists } from '@/lib/repositories/scheduling-task.repository';
import { busyBetween, SERIES_HORIZON_DAYS, type Occurrence } from './calendar.service';

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
  /** The task moving it: recorded with the old times, so a task that fails can move it back. */
  taskId?: string;
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
      .set({
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        movedByTaskId: input.taskId ?? null,
        previousStartsAt: event.startsAt,
        previousEndsAt: event.endsAt,
        updatedAt: sql`now()`,
      })
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
): Promise<{ event: CalendarEventRow; restoredSeries?: CalendarEventRow; movedBack?: boolean } | undefined> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    await lockCalendar(tx, userId);
    const [event] = await tx
      .select()
      .from(calendarEvents)
      .where(and(eq(calendarEvents.taskId, taskId), eq(calendarEvents.userId, userId)));
    if (!event) return moveBack(tx, taskId, userId);
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

/**
 * The event the task moved as a whole, back at its previous time, unless that time is taken now
 * (then it stays where it is). Idempotent: an event already back is reported again.
 */
async function moveBack(tx: Tx, taskId: string, userId: string): Promise<{ event: CalendarEventRow; movedBack: true } | undefined> {
  const [event] = await tx
    .select()
    .from(calendarEvents)
    .where(and(eq(calendarEvents.movedByTaskId, taskId), eq(calendarEvents.userId, userId), eq(calendarEvents.status, 'CONFIRMED')));
  if (!event?.previousStartsAt || !event.previousEndsAt) return undefined;
  if (event.startsAt.getTime() === event.previousStartsAt.getTime() && event.endsAt.getTime() === event.previousEndsAt.getTime()) {
    return { event, movedBack: true };
  }
  const back = { ...event, startsAt: event.previousStartsAt, endsAt: event.previousEndsAt };
  if ((await conflictsOf(tx, back, event.id)).length > 0) return undefined;
  const [moved] = await tx
    .update(calendarEvents)
    .set({ startsAt: back.startsAt, endsAt: back.endsAt, updatedAt: sql`now()` })
    .where(eq(calendarEvents.id, event.id))
    .returning();
  return { event: moved!, movedBack: true };
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

/** Deletes every event of the user (account deletion, inside its transaction); returns how many. */
export async function deleteEventsOfUser(tx: Pick<Db, 'execute' | 'delete'>, userId: string): Promise<number> {
  await lockCalendar(tx, userId);
  const deleted = await tx.delete(calendarEvents).where(eq(calendarEvents.userId, userId)).returning({ id: calendarEvents.id });
  return deleted.length;
}
