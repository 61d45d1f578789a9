import { busyTimes, CalDavError, deleteEvent, putEvent } from '@/lib/caldav/caldav-client';
import { buildCalendar, eventIdOfUid, type IcsEvent } from '@/lib/calendar-ics/ics';
import { getEnv } from '@/lib/config/env';
import { getLogger } from '@/lib/log/logger';
import { openConnection, recordStatus } from './calendar-connection.service';
import type { Occurrence } from './calendar.service';

/**
 * Where a user's meetings live besides the agent's own table. The built-in calendar (the
 * `calendar_events` table, nothing to set up) is always the agent's record of what it booked; a
 * provider adds the user's other commitments to conflict checks and mirrors every booking, move
 * and cancellation into the user's real calendar.
 *
 * - built-in: no other commitments, nothing to mirror.
 * - CalDAV (the user connected one): busy times read from the calendar (events the agent wrote are
 *   recognised by their UID and left to the table), each booking written as `<event id>.ics` with
 *   UID `<event id>@chat-response-service`, so a retried write replaces instead of adding a copy.
 *
 * Failures are `CalDavError`s: `unreachable` (worth retrying) or `unauthorized` (the user must
 * reconnect); the connection's status records the last outcome.
 */
export interface CalendarProvider {
  kind: 'built-in' | 'caldav';
  /** Commitments outside the agent's table overlapping [from, to). */
  busy(from: Date, to: Date): Promise<Occurrence[]>;
  /** Creates or replaces the event (with its series rule and cancelled occurrences). */
  publish(event: IcsEvent): Promise<void>;
  /** Removes the event. */
  unpublish(eventId: string): Promise<void>;
}

const builtIn: CalendarProvider = {
  kind: 'built-in',
  busy: async () => [],
  publish: async () => {},
  unpublish: async () => {},
};

/** The user's provider: CalDAV when they connected a calendar, else the built-in one. */
export async function providerFor(userId: string): Promise<CalendarProvider> {
  const connection = await openConnection(userId).catch(async (err: unknown) => {
    if (err instanceof CalDavError) await recordStatus(userId, '', 'unauthorized');
    throw err;
  });
  if (!connection) return builtIn;
  const { credentials, calendarUrl, status } = connection;
  const timeout = getEnv().CALDAV_TIMEOUT_MS;
  async function track<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      await recordStatus(userId, status, 'connected');
      return result;
    } catch (err) {
      if (err instanceof CalDavError) {
        const next = err.kind === 'unauthorized' ? 'unauthorized' : 'unreachable';
        await recordStatus(userId, status, next);
        getLogger().warn({ userId, failure: err.kind, what }, 'calendar provider failed');
      }
      throw err;
    }
  }
  return {
    kind: 'caldav',
    busy: (from, to) =>
      track('busy', async () =>
        (await busyTimes(credentials, calendarUrl, from, to, timeout))
          .filter((b) => eventIdOfUid(b.uid) === undefined)
          .map((b) => ({ eventId: `caldav:${b.uid}`, title: b.title || 'Busy', start: b.start, end: b.end, attendees: [] })),
      ),
    publish: (event) => track('publish', () => putEvent(credentials, calendarUrl, event.id, buildCalendar([event]), timeout)),
    unpublish: (eventId) => track('unpublish', () => deleteEvent(credentials, calendarUrl, eventId, timeout)),
  };
}
