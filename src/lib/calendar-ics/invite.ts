import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import ical, { ICalCalendarMethod } from 'ical-generator';
import { DateTime } from 'luxon';
import type { CalendarEventRow } from '@/lib/db/schema';
import { addVevent, eventUid } from './ics';

/**
 * Calendar invites (RFC 5545/5546 iCalendar) the agent attaches to its CONFIRMATION
 * (`METHOD:REQUEST`) and CANCELLATION (`METHOD:CANCEL`) messages, so a user can put the meeting
 * in (or take it out of) any calendar. Generated with ical-generator. The UID is stable per
 * event, and SEQUENCE grows with the event's last change, so a move or a cancellation
 * supersedes the invite a calendar already holds.
 */

export type InviteMethod = 'REQUEST' | 'CANCEL';

const PRODUCT = { company: 'chat-response-service', product: 'scheduling-agent', language: 'EN' };

/** The event's iCalendar UID: the same in every invite about it (and in the feed and on CalDAV). */
export const inviteUid = eventUid;

/**
 * The invite for `event`. `occurrence` (the ISO start of one occurrence of a series) cancels or
 * updates that occurrence only (RECURRENCE-ID).
 */
export function buildInvite(event: CalendarEventRow, method: InviteMethod, occurrence?: string): string {
  const calendar = ical({ prodId: PRODUCT, method: method === 'REQUEST' ? ICalCalendarMethod.REQUEST : ICalCalendarMethod.CANCEL });
  const length = event.endsAt.getTime() - event.startsAt.getTime();
  const start = occurrence ? new Date(occurrence) : event.startsAt;
  // A series keeps its wall-clock time across DST in its own zone. ical-generator writes a plain
  // Date on the process's clock whatever TZID it is given; luxon carries the meeting's zone.
  const zone = event.recurrence && !occurrence && event.timeZone ? event.timeZone : undefined;
  const onClock = (d: Date) => (zone ? DateTime.fromJSDate(d, { zone }) : d);
  if (zone) calendar.timezone({ name: null, generator: getVtimezoneComponent });
  addVevent(calendar, {
    id: event.id,
    title: event.title,
    start: onClock(start),
    end: onClock(new Date(start.getTime() + length)),
    attendees: event.attendees,
    status: method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED',
    stamp: new Date(),
    sequence: Math.floor(event.updatedAt.getTime() / 1000) % 2_000_000_000,
    ...(event.recurrence && !occurrence ? { repeating: `RRULE:${event.recurrence}`, timezone: zone } : {}),
    ...(occurrence ? { recurrenceId: start } : {}),
  });
  return calendar.toString();
}

/** The invite as a message attachment (`{ filename, contentType, content }`). */
export function inviteAttachment(event: CalendarEventRow, method: InviteMethod, occurrence?: string) {
  return {
    filename: method === 'REQUEST' ? 'invite.ics' : 'cancel.ics',
    contentType: `text/calendar; charset=utf-8; method=${method}`,
    content: buildInvite(event, method, occurrence),
  };
}
