import { CalDavError } from '@/lib/caldav/caldav-client';
import type { CalendarEventRow } from '@/lib/db/schema';
import type { TaskOutcome } from '@/lib/repositories/scheduling-task.repository';
import { providerFor } from '@/lib/services/calendar-provider';
import * as calendarBooking from '@/lib/services/calendar-booking.service';
import * as calendarService from '@/lib/services/calendar.service';
import type { Occurrence } from '@/lib/services/calendar.service';
import { formatLocal } from '@/scheduling/availability';
import type { Conversation } from './scheduling-conversation';

/**
 * The agent's view of the user's whole calendar: the meetings it booked (the built-in table) plus,
 * when the user connected a CalDAV calendar, everything else in it; and the mirroring of each
 * booking, move and cancellation into that calendar (calendar-provider.ts).
 */

/** Commitments in the user's connected calendar overlapping [from, to) (none without one). */
export async function externalBusy(userId: string, from: Date, to: Date): Promise<Occurrence[]> {
  return (await providerFor(userId)).busy(from, to);
}

/** Every meeting of the user overlapping [from, to): the agent's and the connected calendar's, soonest first. */
export async function allBusy(userId: string, from: Date, to: Date): Promise<Occurrence[]> {
  const [own, other] = await Promise.all([calendarService.busyBetween(userId, from, to), externalBusy(userId, from, to)]);
  return [...own, ...other].sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** Writes the event (as it now is in the table) to the user's connected calendar. */
export async function publish(userId: string, event: CalendarEventRow): Promise<void> {
  await (await providerFor(userId)).publish(event);
}

/** Removes the event from the user's connected calendar. */
export async function unpublish(userId: string, eventId: string): Promise<void> {
  await (await providerFor(userId)).unpublish(eventId);
}

export const UNREACHABLE = "I can't reach your calendar right now, so I haven't changed anything there yet. I'll try again in a moment.";
/**
 * Takes back what a task booked when its last attempt failed (the calendar stayed unreachable, or
 * anything else): a booking the user was never told about must not stay CONFIRMED in the table and
 * the feed. The event is cancelled, an occurrence it moved goes back into its series, a meeting it
 * moved goes back to its time if that is still free (calendarBooking.undoTaskBooking), and, best effort, the connected calendar is brought in line
 * in case a write had landed. Returns what the user should hear, if the task booked anything.
 */
export async function undoBookingOf(taskId: string, userId: string, timeZone: string): Promise<string | undefined> {
  const undone = await calendarBooking.undoTaskBooking(taskId, userId);
  if (!undone) return undefined;
  const { event, restoredSeries, movedBack } = undone;
  if (movedBack) {
    await publish(userId, event).catch(() => undefined); // Unreachable: the move never landed either.
    return moveUndone(event.title, event.startsAt, timeZone);
  }
  // Unreachable: the writes never landed either; the next successful write of the series fixes it.
  await unpublish(userId, event.id).catch(() => undefined);
  if (restoredSeries) await publish(userId, restoredSeries).catch(() => undefined);
  return restoredSeries && event.movedFromStart
    ? moveUndone(event.title, event.movedFromStart, timeZone)
    : bookingUndone(event.title, event.startsAt, timeZone);
}

/** What the user hears when a task's last attempt failed after it had booked: the booking is taken back. */
export const bookingUndone = (title: string, start: Date, timeZone: string) =>
  `I could not save "${title}" on ${formatLocal(start, timeZone)} to your calendar after several tries, so I took it back: ` +
  'nothing is booked. Ask me again once your calendar is reachable.';

/** What the user hears when a task's last attempt failed after it moved one occurrence: it is put back. */
export const moveUndone = (title: string, start: Date, timeZone: string) =>
  `I could not save the move of "${title}" to your calendar after several tries, so I put it back at ${formatLocal(start, timeZone)}: ` +
  'nothing was changed. Ask me again once your calendar is reachable.';

export const UNAUTHORIZED =
  'Your calendar refused the saved sign-in (the password may have been changed or revoked), so nothing was changed. ' +
  'Reconnect your calendar, then ask me again.';

/**
 * What the user hears when their calendar failed the turn. Unreachable: an ERROR now and the
 * turn is re-run by the job queue (every step is idempotent: the event keeps one UID, so a
 * retried write cannot book twice). Refused credentials: an ERROR saying to reconnect, and the
 * turn ends, since retrying cannot help.
 */
export async function calendarTrouble(c: Conversation, err: CalDavError): Promise<TaskOutcome> {
  if (err.kind === 'unauthorized') {
    await c.respond({ step: 'calendar-unauthorized', type: 'error', content: UNAUTHORIZED, data: { calendar: 'unauthorized' } });
    return { status: 'COMPLETED', state: {}, result: { calendarError: 'unauthorized' } };
  }
  await c.respond({ step: 'calendar-unreachable', type: 'error', content: UNREACHABLE, data: { calendar: 'unreachable', retrying: true } });
  throw err;
}
