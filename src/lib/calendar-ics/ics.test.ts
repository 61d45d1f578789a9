import { describe, expect, it } from 'vitest';
import { buildCalendar, busyTimesOf, eventIdOfUid, eventUid } from './ics';

describe('ICS building and reading', () => {
  const series = {
    id: 'e1',
    title: 'Standup',
    startsAt: new Date('2026-03-02T08:00:00Z'),
    endsAt: new Date('2026-03-02T08:15:00Z'),
    attendees: ['Bob', 'sam@example.com'],
    recurrence: 'FREQ=WEEKLY;BYDAY=MO',
    timeZone: 'Europe/Berlin',
    excludedStarts: ['2026-03-09T08:00:00.000Z'],
  };

  it('writes a series on its own wall clock with the VTIMEZONE, RRULE and EXDATE, attendees by email', () => {
    const text = buildCalendar([series]);
    expect(text).toContain('DTSTART;TZID=Europe/Berlin:20260302T090000');
    expect(text).toContain('RRULE:FREQ=WEEKLY;BYDAY=MO');
    expect(text).toContain('EXDATE;TZID=Europe/Berlin:20260309T090000');
    expect(text).toContain('BEGIN:VTIMEZONE');
    expect(text).toContain('ATTENDEE;ROLE=REQ-PARTICIPANT:MAILTO:sam@example.com');
    expect(text).toContain('DESCRIPTION:With Bob');
    expect(text).toContain(`UID:${eventUid('e1')}`);
  });

  it('reads busy times back: series expanded without the excluded occurrence, keeping 09:00 across DST', () => {
    const busy = busyTimesOf(buildCalendar([series]), new Date('2026-03-01T00:00:00Z'), new Date('2026-04-07T00:00:00Z'));
    expect(busy.map((b) => b.start.toISOString())).toEqual([
      '2026-03-02T08:00:00.000Z',
      '2026-03-16T08:00:00.000Z',
      '2026-03-23T08:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-04-06T07:00:00.000Z',
    ]);
    expect(busy[0]).toMatchObject({ uid: eventUid('e1'), title: 'Standup' });
  });

  it('leaves cancelled and transparent events out of busy times', () => {
    const text = buildCalendar([
      {
        id: 'a',
        title: 'Gone',
        startsAt: new Date('2026-03-02T08:00:00Z'),
        endsAt: new Date('2026-03-02T09:00:00Z'),
        attendees: [],
        status: 'CANCELLED',
      },
    ]);
    expect(busyTimesOf(text, new Date('2026-03-01T00:00:00Z'), new Date('2026-03-03T00:00:00Z'))).toEqual([]);
    const free = text.replace('STATUS:CANCELLED', 'TRANSP:TRANSPARENT');
    expect(busyTimesOf(free, new Date('2026-03-01T00:00:00Z'), new Date('2026-03-03T00:00:00Z'))).toEqual([]);
  });

  it("tells the agent's own UIDs from anyone else's", () => {
    expect(eventIdOfUid(eventUid('abc'))).toBe('abc');
    expect(eventIdOfUid('abc@google.com')).toBeUndefined();
  });
});
