import ical, { ICalCalendarMethod, ICalEventStatus, type ICalCalendar } from 'ical-generator';
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';

/**
 * iCalendar (RFC 5545) in one place: building VCALENDARs of the agent's meetings with
 * `ical-generator` (the ICS feed, the CalDAV provider's writes, invites attached to messages) and
 * reading other calendars' events into busy times with `ical.js`. Every meeting has one UID,
 * derived from its event id, so writing it again replaces it instead of adding a copy.
 */

/** A meeting as iCalendar sees it. `startsAt`/`endsAt` are its first occurrence for a series. */
export interface IcsEvent {
  id: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  attendees: string[];
  status?: 'CONFIRMED' | 'CANCELLED';
  /** RRULE body ("FREQ=WEEKLY;BYDAY=MO"), read on the wall clock of `timeZone`. */
  recurrence?: string | null;
  timeZone?: string | null;
  /** ISO starts of cancelled occurrences (EXDATE). */
  excludedStarts?: string[];
  updatedAt?: Date;
}

const UID_DOMAIN = 'chat-response-service';
const PRODID = { company: 'chat-response-service', product: 'scheduling-assistant', language: 'EN' };

/** The meeting's UID everywhere (feed, CalDAV, invites): stable for the life of the event. */
export const eventUid = (eventId: string): string => `${eventId}@${UID_DOMAIN}`;

/** The event id behind one of our UIDs; undefined for an event someone else made. */
export function eventIdOfUid(uid: string): string | undefined {
  return uid.endsWith(`@${UID_DOMAIN}`) ? uid.slice(0, -UID_DOMAIN.length - 1) : undefined;
}

/** An attendee that is an email address is invited as such; other names go into the description. */
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

/** One VEVENT as the agent writes it: in the feed, on a CalDAV server or in an invite. */
export interface Vevent {
  id: string;
  title: string;
  /** Instants, or luxon times carrying the zone they are written in. */
  start: Date | DateTime;
  end: Date | DateTime;
  attendees: string[];
  status?: 'CONFIRMED' | 'CANCELLED';
  stamp: Date;
  /** The TZID of DTSTART and DTEND. */
  timezone?: string | null;
  /** The RRULE (and EXDATE) lines of a series. */
  repeating?: string;
  /** The occurrence of a series this VEVENT is about. */
  recurrenceId?: Date;
  sequence?: number;
}

/** Adds `e` to `calendar`: its UID from the event id, email attendees invited, other names in the description. */
export function addVevent(calendar: ICalCalendar, e: Vevent): void {
  const people = e.attendees.filter((a) => EMAIL.test(a));
  const names = e.attendees.filter((a) => !EMAIL.test(a));
  calendar.createEvent({
    id: eventUid(e.id),
    ...(e.sequence !== undefined && { sequence: e.sequence }),
    summary: e.title,
    start: e.start,
    end: e.end,
    ...(e.timezone && { timezone: e.timezone }),
    ...(e.repeating && { repeating: e.repeating }),
    ...(e.recurrenceId && { recurrenceId: e.recurrenceId }),
    stamp: e.stamp,
    status: e.status === 'CANCELLED' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    attendees: people.map((email) => ({ email })),
    ...(names.length > 0 && { description: `With ${names.join(', ')}` }),
  });
}

/**
 * A VCALENDAR holding `events`. A series carries its RRULE and EXDATEs in its own zone (with the
 * VTIMEZONE), so every calendar app repeats it on the same wall-clock time across DST.
 */
export function buildCalendar(events: IcsEvent[], options: { name?: string; method?: 'REQUEST' | 'CANCEL' } = {}): string {
  const calendar = ical({ prodId: PRODID, ...(options.name && { name: options.name }) });
  if (options.method) calendar.method(options.method === 'REQUEST' ? ICalCalendarMethod.REQUEST : ICalCalendarMethod.CANCEL);
  calendar.timezone({ name: null, generator: getVtimezoneComponent });
  for (const e of events) {
    const zone = e.recurrence && e.timeZone && e.timeZone !== 'UTC' ? e.timeZone : undefined;
    addVevent(calendar, {
      id: e.id,
      title: e.title,
      // ical-generator writes a plain Date in the process's zone; luxon carries the meeting's.
      start: zone ? DateTime.fromJSDate(e.startsAt, { zone }) : e.startsAt,
      end: zone ? DateTime.fromJSDate(e.endsAt, { zone }) : e.endsAt,
      attendees: e.attendees,
      ...(e.status && { status: e.status }),
      stamp: e.updatedAt ?? new Date(),
      timezone: zone,
      ...(e.recurrence && {
        repeating: [`RRULE:${e.recurrence}`, ...(e.excludedStarts ?? []).map((s) => exdateLine(new Date(s), zone))].join('\n'),
      }),
    });
  }
  return calendar.toString();
}

/** EXDATE for one cancelled occurrence, on the series' wall clock when it has a zone. */
function exdateLine(start: Date, zone: string | undefined): string {
  if (!zone) return `EXDATE:${basicUtc(start)}`;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(start)
      .map((p) => [p.type, p.value]),
  );
  return `EXDATE;TZID=${zone}:${parts.year}${parts.month}${parts.day}T${parts.hour}${parts.minute}${parts.second}`;
}

const basicUtc = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** One busy stretch read from someone's calendar. */
export interface BusyTime {
  uid: string;
  title: string;
  start: Date;
  end: Date;
}

/** Most occurrences read from one recurring event, whatever its rule. */
const MAX_OCCURRENCES = 1_000;

/**
 * The busy times of the VEVENTs in `text` overlapping [from, to): series expanded (with their
 * EXDATEs and overridden occurrences), cancelled and transparent (free) events left out.
 * @throws Error when `text` is not iCalendar.
 */
export function busyTimesOf(text: string, from: Date, to: Date): BusyTime[] {
  const root = new ICAL.Component(ICAL.parse(text));
  for (const tz of root.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  const vevents = root.getAllSubcomponents('vevent');
  const masters = vevents.filter((v) => !v.hasProperty('recurrence-id'));
  const exceptions = vevents.filter((v) => v.hasProperty('recurrence-id'));
  const out: BusyTime[] = [];
  const free = (v: ICAL.Component) =>
    String(v.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED' ||
    String(v.getFirstPropertyValue('transp') ?? '').toUpperCase() === 'TRANSPARENT';
  const push = (uid: string, title: string, start: Date, end: Date) => {
    if (start < to && end > from) out.push({ uid, title, start, end });
  };
  for (const vevent of masters) {
    const event = new ICAL.Event(vevent);
    for (const exc of exceptions) if (exc.getFirstPropertyValue('uid') === event.uid) event.relateException(exc);
    if (!event.isRecurring()) {
      if (!free(vevent) && event.startDate) push(event.uid, event.summary ?? '', event.startDate.toJSDate(), event.endDate.toJSDate());
      continue;
    }
    if (free(vevent)) continue;
    const iterator = event.iterator();
    for (let n = 0, next = iterator.next(); next && n < MAX_OCCURRENCES; n++, next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      const start = details.startDate.toJSDate();
      if (start >= to) break;
      if (free(details.item.component)) continue;
      push(event.uid, details.item.summary ?? '', start, details.endDate.toJSDate());
    }
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime());
}
