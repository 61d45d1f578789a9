import { describe, expect, it } from 'vitest';
import type { CalendarEventRow } from '@/lib/db/schema';
import { buildCalendar } from './ics';
import { buildInvite, inviteUid } from './invite';

const event: CalendarEventRow = {
  id: 'ev1',
  userId: 'u1',
  title: 'Design review',
  startsAt: new Date('2026-12-01T15:00:00Z'),
  endsAt: new Date('2026-12-01T15:30:00Z'),
  attendees: ['ana@example.com', 'Bob'],
  status: 'CONFIRMED',
  taskId: 't1',
  recurrence: null,
  timeZone: null,
  excludedStarts: [],
  movedFromEventId: null,
  movedFromStart: null,
  movedByTaskId: null,
  previousStartsAt: null,
  previousEndsAt: null,
  createdAt: new Date('2026-11-25T10:00:00Z'),
  updatedAt: new Date('2026-11-25T10:00:00Z'),
};

/** Unfolded content lines (RFC 5545 folds long lines with CRLF + space). */
const lines = (ics: string) => ics.replace(/\r\n[ \t]/g, '').split('\r\n');

describe('calendar invites', () => {
  it('a booking is a METHOD:REQUEST invite with the event, its stable UID and its email attendees', () => {
    const ics = lines(buildInvite(event, 'REQUEST'));
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain(`UID:${inviteUid('ev1')}`);
    expect(ics).toContain('DTSTART:20261201T150000Z');
    expect(ics).toContain('DTEND:20261201T153000Z');
    expect(ics).toContain('SUMMARY:Design review');
    expect(ics).toContain('STATUS:CONFIRMED');
    expect(ics.some((l) => l.startsWith('ATTENDEE') && l.toLowerCase().endsWith('mailto:ana@example.com'))).toBe(true);
    expect(ics).toContain('DESCRIPTION:With Bob');
  });

  it('a cancellation is METHOD:CANCEL for the same UID, with a higher SEQUENCE once the event changed', () => {
    const request = lines(buildInvite(event, 'REQUEST'));
    const cancel = lines(buildInvite({ ...event, status: 'CANCELLED', updatedAt: new Date('2026-11-26T10:00:00Z') }, 'CANCEL'));
    expect(cancel).toContain('METHOD:CANCEL');
    expect(cancel).toContain('STATUS:CANCELLED');
    expect(cancel).toContain(`UID:${inviteUid('ev1')}`);
    const seq = (l: string[]) => Number(l.find((x) => x.startsWith('SEQUENCE:'))!.slice(9));
    expect(seq(cancel)).toBeGreaterThan(seq(request));
  });

  it('a series carries its RRULE; one cancelled occurrence is named by RECURRENCE-ID', () => {
    const series = { ...event, recurrence: 'FREQ=WEEKLY;COUNT=4', timeZone: 'Europe/Berlin' };
    const request = lines(buildInvite(series, 'REQUEST'));
    expect(request).toContain('RRULE:FREQ=WEEKLY;COUNT=4');
    // 15:00 UTC on Dec 1 is 16:00 in Berlin, and its zone travels with it.
    expect(request).toContain('DTSTART;TZID=Europe/Berlin:20261201T160000');
    expect(request).toContain('BEGIN:VTIMEZONE');
    const one = lines(buildInvite(series, 'CANCEL', '2026-12-08T15:00:00.000Z'));
    expect(one.some((l) => l.startsWith('RECURRENCE-ID') && l.includes('20261208T150000'))).toBe(true);
    expect(one.some((l) => l.startsWith('RRULE'))).toBe(false);
  });

  it.each([
    ['a meeting', event, 'REQUEST'],
    ['a cancelled meeting', { ...event, status: 'CANCELLED' }, 'CANCEL'],
    ['a series', { ...event, recurrence: 'FREQ=WEEKLY;COUNT=4', timeZone: 'Europe/Berlin' }, 'REQUEST'],
  ] as const)('writes %s as the same VEVENT as the feed and CalDAV do, but for SEQUENCE and DTSTAMP', (_, meeting, method) => {
    const vevent = (ics: string) => {
      const all = lines(ics);
      return all.slice(all.indexOf('BEGIN:VEVENT'), all.indexOf('END:VEVENT') + 1).filter((l) => !/^(?:DTSTAMP|SEQUENCE)[:;]/.test(l));
    };
    expect(vevent(buildInvite(meeting, method))).toEqual(vevent(buildCalendar([meeting])));
  });
});
