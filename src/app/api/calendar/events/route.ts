// GET /api/calendar/events?from=&to= - the caller's events overlapping [from, to) (at most 92 days), series expanded into occurrences
import { withSession } from '@/lib/http/route';
import { EventsQuery, EventsResponse } from '@/lib/schemas/calendar';
import * as calendarService from '@/lib/services/calendar.service';
import { toCalendarEventView } from '@/lib/services/calendar.views';

export const GET = withSession({ limit: 'read', query: EventsQuery, response: EventsResponse }, async ({ userId, query }) => ({
  events: (await calendarService.listEvents(userId, query.from, query.to)).map(toCalendarEventView),
}));
