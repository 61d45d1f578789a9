import { z } from 'zod';
import { dateFromText } from './text';
import { Instant } from './common';

/** The calendar the agent books into: the events query and the event as the API shows it. */

export const EVENT_STATUSES = ['CONFIRMED', 'CANCELLED'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** `GET /api/calendar/events?from=&to=`: events overlapping [from, to). */
export const EventsQuery = z.object({ from: dateFromText(), to: dateFromText() });

export const CalendarEventView = z
  .object({
    id: z.string(),
    title: z.string(),
    startsAt: Instant,
    endsAt: Instant,
    attendees: z.array(z.string()),
    status: z.enum(EVENT_STATUSES),
    /** The task that booked it. */
    taskId: z.string().nullable(),
  })
  .meta({ id: 'CalendarEvent' });
export type CalendarEventView = z.infer<typeof CalendarEventView>;

export const EventsResponse = z.object({ events: z.array(CalendarEventView) });
