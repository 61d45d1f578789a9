// GET /api/calendar/events?from=&to= - the caller's events overlapping [from, to) (at most 92 days)
import { withSession } from '@/lib/http/route';
import { EventsQuery } from '@/lib/http/scheduling-schemas';
import * as calendarService from '@/lib/services/calendar.service';

export const GET = withSession({ limit: 'read', query: EventsQuery }, async ({ userId, query }) => {
  const events = await calendarService.listEvents(userId, query.from, query.to);
  return {
    events: events.map((e) => ({
      id: e.id,
      title: e.title,
      startsAt: e.startsAt.toISOString(),
      endsAt: e.endsAt.toISOString(),
      attendees: e.attendees,
      status: e.status,
      taskId: e.taskId,
    })),
  };
});
