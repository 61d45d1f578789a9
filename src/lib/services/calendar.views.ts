import type { CalendarEventRow } from '@/lib/db/schema';
import type { CalendarEventView } from '@/lib/schemas/calendar';

/** An event as `GET /api/calendar/events` sends it (typed by src/lib/schemas/calendar.ts). */
export function toCalendarEventView(e: CalendarEventRow): CalendarEventView {
  return {
    id: e.id,
    title: e.title,
    startsAt: e.startsAt.toISOString(),
    endsAt: e.endsAt.toISOString(),
    attendees: e.attendees,
    status: e.status,
    taskId: e.taskId,
    // One occurrence of a series: the series' id and rule (startsAt/endsAt are the occurrence's).
    ...(e.recurrence && { recurrence: e.recurrence }),
  };
}
