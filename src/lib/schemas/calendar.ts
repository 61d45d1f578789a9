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
    /** Present on an occurrence of a series: the series' RFC 5545 rule (`id` is the series'). */
    recurrence: z.string().optional(),
  })
  .meta({ id: 'CalendarEvent' });
export type CalendarEventView = z.infer<typeof CalendarEventView>;

export const EventsResponse = z.object({ events: z.array(CalendarEventView) });

/** `PUT /api/calendar/connection`: a CalDAV server and the credentials to sign in with. */
export const CalendarConnectionInput = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).max(2_000, 'must be at most 2000 characters'),
    username: z.string().min(1, 'is required').max(500, 'must be at most 500 characters'),
    password: z.string().min(1, 'is required').max(1_000, 'must be at most 1000 characters'),
  })
  .strict();
export type CalendarConnectionInput = z.infer<typeof CalendarConnectionInput>;

export const CALENDAR_CONNECTION_STATUSES = ['connected', 'unreachable', 'unauthorized'] as const;

/** The connection as the API shows it: never the password. */
export const CalendarConnectionView = z
  .object({
    connected: z.literal(true),
    url: z.string(),
    username: z.string(),
    /** The calendar collection the agent writes to. */
    calendarUrl: z.string(),
    /** What the last use found. */
    status: z.enum(CALENDAR_CONNECTION_STATUSES),
    checkedAt: Instant,
  })
  .meta({ id: 'CalendarConnection' });
export type CalendarConnectionView = z.infer<typeof CalendarConnectionView>;

export const CalendarConnectionResponse = z.union([CalendarConnectionView, z.object({ connected: z.literal(false) })]);

/** `POST /api/calendar/feed`: the new feed URL, shown once (only its hash is stored). */
export const CalendarFeedCreated = z.object({ url: z.string(), token: z.string(), createdAt: Instant });
export const CalendarFeedStatus = z.object({ active: z.boolean(), createdAt: Instant.nullable() });
export const DeletedResponse = z.object({ deleted: z.boolean() });
/** `GET /api/calendar/feed/{token}.ics`. */
export const CalendarFeedParams = z.object({ token: z.string().max(200, 'is not a feed token') });
