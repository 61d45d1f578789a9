import { afterEach, describe, expect, it } from 'vitest';

import { formatLocal } from './availability';
import { type Intent, type MissingReason, ParsedRequestSchema, parseSchedulingRequest } from './parse-request';

// Tuesday. 07:00 in New York (EST), 13:00 in Berlin (CET), 21:00 in Tokyo.
const NOW = new Date('2026-11-24T12:00:00Z');
const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const TOKYO = 'Asia/Tokyo';

interface Row {
  text: string;
  /** Behaviour in words, used as the test name. */
  says: string;
  tz?: string;
  intent?: Intent;
  /** Expected ISO UTC start; omitted when no start is expected. */
  start?: string;
  /** The same start read back on the wall clock of the user's (or the explicit) zone. */
  local?: string;
  duration?: number;
  attendees?: string[];
  title?: string;
  missing?: Array<'date' | 'time'>;
  reason?: MissingReason;
  zone?: string;
}

const rows: Row[] = [
  // Relative dates, weekdays, 12h/24h times
  {
    text: 'book 30 min with Dana tomorrow at 3pm',
    says: 'Wed 15:00 New York, 30 min, [Dana]',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    attendees: ['Dana'],
  },
  {
    text: 'schedule a meeting with Dana, Lee and Sam on Friday at 10am for an hour',
    says: 'Fri 10:00, 60 min, three attendees listed with comma and "and"',
    start: '2026-11-27T15:00:00.000Z',
    local: 'Fri, Nov 27, 10:00 AM',
    duration: 60,
    attendees: ['Dana', 'Lee', 'Sam'],
    title: 'Meeting with Dana, Lee and Sam',
  },
  {
    text: 'meeting with Lee next Tuesday at 2:30 pm',
    says: '"next Tuesday" on a Tuesday is a week ahead',
    start: '2026-12-01T19:30:00.000Z',
    local: 'Tue, Dec 1, 2:30 PM',
    attendees: ['Lee'],
  },
  {
    text: 'book with Dana next Friday at noon',
    says: '"next Friday" is the Friday of next week, noon is 12:00',
    start: '2026-12-04T17:00:00.000Z',
    local: 'Fri, Dec 4, 12:00 PM',
    attendees: ['Dana'],
  },
  {
    text: '1:1 with lee monday at 11am',
    says: 'bare weekday is the coming Monday; lowercase name capitalised',
    start: '2026-11-30T16:00:00.000Z',
    local: 'Mon, Nov 30, 11:00 AM',
    attendees: ['Lee'],
  },
  {
    text: 'book an hour and a half with Lee in 2 days at 4pm',
    says: '"in 2 days" is Thursday; 90 min',
    start: '2026-11-26T21:00:00.000Z',
    local: 'Thu, Nov 26, 4:00 PM',
    duration: 90,
    attendees: ['Lee'],
  },
  {
    text: 'schedule half an hour with Dana next week on thursday at 11',
    says: '"next week on thursday" names the day; bare 11 is 11am',
    start: '2026-12-03T16:00:00.000Z',
    local: 'Thu, Dec 3, 11:00 AM',
    attendees: ['Dana'],
  },
  {
    text: 'book with Dana in 2 hours',
    says: '"in 2 hours" is a start time (09:00), not a duration',
    start: '2026-11-24T14:00:00.000Z',
    local: 'Tue, Nov 24, 9:00 AM',
    attendees: ['Dana'],
  },
  {
    text: 'book with Dana tomorrow at 15:00 for 1h30',
    says: '24h time, "1h30" is 90 min',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    duration: 90,
    attendees: ['Dana'],
  },
  {
    text: 'book with Sam tomorrow at 06:00',
    says: 'leading-zero hour is read as 24h, not ambiguous',
    start: '2026-11-25T11:00:00.000Z',
    local: 'Wed, Nov 25, 6:00 AM',
    attendees: ['Sam'],
  },
  {
    text: 'book 90 min with Sam tomorrow at 12',
    says: 'bare 12 is noon',
    start: '2026-11-25T17:00:00.000Z',
    local: 'Wed, Nov 25, 12:00 PM',
    duration: 90,
    attendees: ['Sam'],
  },
  {
    text: 'coffee with Dana Smith and lee tomorrow at 8',
    says: 'bare 8 is 8am; multi-word name kept together',
    start: '2026-11-25T13:00:00.000Z',
    local: 'Wed, Nov 25, 8:00 AM',
    attendees: ['Dana Smith', 'Lee'],
  },
  {
    text: 'book a 45 minute call with Lee & Sam tomorrow at 4:15pm',
    says: '"45 minute" and "&" separator',
    start: '2026-11-25T21:15:00.000Z',
    local: 'Wed, Nov 25, 4:15 PM',
    duration: 45,
    attendees: ['Lee', 'Sam'],
  },
  {
    text: 'book 1.5h with Dana and Lee Friday at 1pm',
    says: '"1.5h" is 90 min',
    start: '2026-11-27T18:00:00.000Z',
    local: 'Fri, Nov 27, 1:00 PM',
    duration: 90,
    attendees: ['Dana', 'Lee'],
  },
  {
    text: 'book 2 hours with Dana tomorrow at 9am',
    says: '"2 hours" is 120 min',
    start: '2026-11-25T14:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    duration: 120,
    attendees: ['Dana'],
  },
  {
    text: 'schedule 10 hours with Dana tomorrow at 9am',
    says: 'duration clamped to 480 min',
    start: '2026-11-25T14:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    duration: 480,
    attendees: ['Dana'],
  },
  {
    text: 'book with Dana tomorrow at 9am for 3 min',
    says: 'duration clamped to 5 min',
    start: '2026-11-25T14:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    duration: 5,
    attendees: ['Dana'],
  },
  {
    text: 'meet dana tomorrow at 9am',
    says: '"meet X" names an attendee too',
    start: '2026-11-25T14:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    attendees: ['Dana'],
  },

  // Ranges give the duration
  {
    text: 'book with Dana tomorrow from 3 to 4pm',
    says: '"from 3 to 4pm" is 15:00, 60 min',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    duration: 60,
    attendees: ['Dana'],
  },
  {
    text: 'schedule with Dana 3-4pm tomorrow',
    says: '"3-4pm" is 15:00, 60 min',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    duration: 60,
    attendees: ['Dana'],
  },
  {
    text: 'book with Dana tomorrow 11-1pm',
    says: '"11-1pm" crosses noon: 11:00, 120 min',
    start: '2026-11-25T16:00:00.000Z',
    local: 'Wed, Nov 25, 11:00 AM',
    duration: 120,
    attendees: ['Dana'],
  },
  {
    text: 'set up a meeting tomorrow 9-10:30am',
    says: '"9-10:30am" is 90 min; no attendees -> "Meeting"',
    start: '2026-11-25T14:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    duration: 90,
    title: 'Meeting',
  },

  // Explicit dates
  {
    text: 'book "Budget review" with Dana on Dec 3 at 2pm',
    says: 'month-name date; quoted title wins',
    start: '2026-12-03T19:00:00.000Z',
    local: 'Thu, Dec 3, 2:00 PM',
    attendees: ['Dana'],
    title: 'Budget review',
  },
  {
    text: 'book with dana@example.com 2026-12-03 at 09:00 for 45m',
    says: 'ISO date, email attendee, "45m"',
    start: '2026-12-03T14:00:00.000Z',
    local: 'Thu, Dec 3, 9:00 AM',
    duration: 45,
    attendees: ['dana@example.com'],
    title: 'Meeting with dana@example.com',
  },
  {
    text: 'schedule with Ana at 10am 12/3',
    says: 'US slash date is month/day',
    start: '2026-12-03T15:00:00.000Z',
    local: 'Thu, Dec 3, 10:00 AM',
    attendees: ['Ana'],
  },
  {
    text: 'book with Lee on March 20 at 9am',
    says: "date after the DST change uses EDT (13:00Z), not today's EST offset",
    start: '2027-03-20T13:00:00.000Z',
    local: 'Sat, Mar 20, 9:00 AM',
    attendees: ['Lee'],
  },
  {
    text: 'book with Lee on March 14 at 2:30am',
    says: 'time in the spring-forward gap moves to 03:30 EDT',
    start: '2027-03-14T07:30:00.000Z',
    local: 'Sun, Mar 14, 3:30 AM',
    attendees: ['Lee'],
  },

  // Titles
  {
    text: 'meeting with Dana about the Q3 roadmap tomorrow at 10am',
    says: '"about X" becomes the title',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    attendees: ['Dana'],
    title: 'The Q3 roadmap',
  },
  {
    text: 'meeting with Lee titled Roadmap sync tomorrow at 10am',
    says: '"titled X" stops at the date',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    attendees: ['Lee'],
    title: 'Roadmap sync',
  },

  // Explicit time zones override the user's zone
  {
    text: 'book with Dana tomorrow at 3pm EST',
    says: 'EST is Eastern time',
    zone: NY,
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    attendees: ['Dana'],
  },
  {
    text: 'book at 10:00 UTC tomorrow with Dana',
    says: '10:00 UTC',
    zone: 'UTC',
    start: '2026-11-25T10:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    attendees: ['Dana'],
  },
  {
    text: 'book with Lee tomorrow at 17:30 PT',
    says: "PT wall clock; date is the user's tomorrow",
    zone: 'America/Los_Angeles',
    start: '2026-11-26T01:30:00.000Z',
    local: 'Wed, Nov 25, 5:30 PM',
    attendees: ['Lee'],
  },
  {
    text: 'book with Dana tomorrow at 9am UTC+2',
    says: 'UTC+2 is a fixed offset',
    zone: 'Etc/GMT-2',
    start: '2026-11-25T07:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    attendees: ['Dana'],
  },

  // Typos that must still parse
  {
    text: 'set up a call with Sam thrusday at 3p.m.',
    says: '"thrusday" and "3p.m."',
    start: '2026-11-26T20:00:00.000Z',
    local: 'Thu, Nov 26, 3:00 PM',
    attendees: ['Sam'],
  },
  {
    text: 'book tmrw at 9 with Lee',
    says: '"tmrw", bare 9 is 9am',
    start: '2026-11-25T14:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    attendees: ['Lee'],
  },
  {
    text: 'book with Dana tommorow at 3 pm',
    says: '"tommorow" and "3 pm"',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    attendees: ['Dana'],
  },
  {
    text: 'schedule with Dana on wensday at 10',
    says: '"wensday" is Wednesday',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    attendees: ['Dana'],
  },
  {
    text: 'book with dana tmr 10a',
    says: '"tmr" and "10a"',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    attendees: ['Dana'],
  },

  // Inputs that must ask
  {
    text: 'call with dana next week',
    says: '"next week" without a day asks for date and time',
    attendees: ['Dana'],
    missing: ['date', 'time'],
    reason: 'week-without-day',
  },
  {
    text: 'book with Dana next week at 10am',
    says: '"next week" with a time still asks for the day',
    attendees: ['Dana'],
    missing: ['date'],
    reason: 'week-without-day',
  },
  {
    text: 'book tomorow at 3 with Lee',
    says: 'bare 3 could be am or pm -> asks for time',
    attendees: ['Lee'],
    missing: ['time'],
    reason: 'ambiguous-hour',
  },
  {
    text: 'book with Dana at 5:30 tomorrow',
    says: 'bare 5:30 is ambiguous too',
    attendees: ['Dana'],
    missing: ['time'],
    reason: 'ambiguous-hour',
  },
  { text: 'book with Dana on Dec 3', says: 'date without time asks for time', attendees: ['Dana'], missing: ['time'] },
  { text: 'book with Dana on 2026-12-03', says: 'ISO date without time asks for time', attendees: ['Dana'], missing: ['time'] },
  { text: 'book with Dana in 2 days', says: 'relative date without time asks for time', attendees: ['Dana'], missing: ['time'] },
  { text: 'book at 3pm with Dana', says: 'time without date asks for date', attendees: ['Dana'], missing: ['date'] },
  {
    text: 'book today at 6am with Lee',
    says: 'a start already passed asks for a future date',
    attendees: ['Lee'],
    missing: ['date'],
    reason: 'past',
  },
  { text: 'book a meeting tomorrow morning', says: '"morning" is too vague to be a time', title: 'Meeting', missing: ['time'] },
  { text: 'book with Dana tonight', says: '"tonight" is today but too vague to be a time', attendees: ['Dana'], missing: ['time'] },
  { text: 'schedule a call with Dana', says: 'no date and no time asks for both', attendees: ['Dana'], missing: ['date', 'time'] },

  // Cancels
  {
    text: 'cancel my 3pm with Dana tomorrow',
    says: 'cancel with time, attendee and date',
    intent: 'cancel',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    attendees: ['Dana'],
  },
  {
    text: 'cancel the meeting with Lee on Friday',
    says: 'cancel with a day only reports the missing time',
    intent: 'cancel',
    attendees: ['Lee'],
    missing: ['time'],
  },
  {
    text: 'cancle my meeting tomorrow at 10am',
    says: 'typo "cancle" is still a cancel',
    intent: 'cancel',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    title: 'Meeting',
  },
  {
    text: 'call off the sync with Sam on Thursday at 2pm',
    says: '"call off" is a cancel, not a call',
    intent: 'cancel',
    start: '2026-11-26T19:00:00.000Z',
    local: 'Thu, Nov 26, 2:00 PM',
    attendees: ['Sam'],
  },

  // Unknown
  { text: 'hello', says: 'greeting is unknown', intent: 'unknown', title: 'Meeting' },
  { text: "what's the weather", says: 'off-topic question is unknown', intent: 'unknown', title: 'Meeting' },
  { text: "what's the weather tomorrow", says: 'a date alone does not make a request', intent: 'unknown', title: 'Meeting' },
  { text: 'asdfgh', says: 'gibberish is unknown', intent: 'unknown', title: 'Meeting' },

  // Other user time zones
  {
    text: 'book with Dana tomorrow at 9am',
    tz: BERLIN,
    says: 'Berlin 09:00 CET is 08:00Z',
    start: '2026-11-25T08:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    attendees: ['Dana'],
  },
  {
    text: 'book with Lee today at 2pm',
    tz: BERLIN,
    says: 'Berlin today 14:00 is still ahead',
    start: '2026-11-24T13:00:00.000Z',
    local: 'Tue, Nov 24, 2:00 PM',
    attendees: ['Lee'],
  },
  {
    text: 'book with Lee today at 11am',
    tz: BERLIN,
    says: 'Berlin today 11:00 already passed',
    attendees: ['Lee'],
    missing: ['date'],
    reason: 'past',
  },
  {
    text: 'book with Lee on March 30 at 10:00',
    tz: BERLIN,
    says: 'Berlin summer time (CEST) applies in late March',
    start: '2027-03-30T08:00:00.000Z',
    local: 'Tue, Mar 30, 10:00 AM',
    attendees: ['Lee'],
  },
  {
    text: 'book with Jonas tomorrow at 15:00 EST',
    tz: BERLIN,
    says: 'EST overrides the Berlin user zone',
    zone: NY,
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    attendees: ['Jonas'],
  },
  {
    text: 'book with Ken tomorrow at 9am',
    tz: TOKYO,
    says: 'Tokyo "tomorrow" is already Wednesday there',
    start: '2026-11-25T00:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    attendees: ['Ken'],
  },
  {
    text: 'book with Ken today at 10pm',
    tz: TOKYO,
    says: 'Tokyo 22:00 today is an hour ahead',
    start: '2026-11-24T13:00:00.000Z',
    local: 'Tue, Nov 24, 10:00 PM',
    attendees: ['Ken'],
  },
  {
    text: 'book with Ken today at 3pm',
    tz: TOKYO,
    says: 'Tokyo 15:00 today already passed',
    attendees: ['Ken'],
    missing: ['date'],
    reason: 'past',
  },
  {
    text: 'call with Ken on Friday at 10:00 UTC',
    tz: TOKYO,
    says: 'UTC overrides Tokyo',
    zone: 'UTC',
    start: '2026-11-27T10:00:00.000Z',
    local: 'Fri, Nov 27, 10:00 AM',
    attendees: ['Ken'],
  },
];

/** Independent of the implementation on purpose: rows with 3+ names spell the title out. */
function defaultTitle(attendees: string[]): string {
  return attendees.length ? `Meeting with ${attendees.join(' and ')}` : 'Meeting';
}

describe('parseSchedulingRequest', () => {
  it('covers at least 45 requests', () => {
    expect(rows.length).toBeGreaterThanOrEqual(45);
  });

  for (const row of rows) {
    const tz = row.tz ?? NY;
    it(`"${row.text}" [${tz}] -> ${row.says}`, () => {
      const r = parseSchedulingRequest(row.text, { now: NOW, timeZone: tz });
      const attendees = row.attendees ?? [];
      expect({
        intent: r.intent,
        start: r.start ?? null,
        durationMinutes: r.durationMinutes,
        attendees: r.attendees,
        title: r.title,
        missing: r.missing,
        reason: r.reason ?? null,
        explicitTimeZone: r.explicitTimeZone ?? null,
      }).toEqual({
        intent: row.intent ?? 'schedule',
        start: row.start ?? null,
        durationMinutes: row.duration ?? 30,
        attendees,
        title: row.title ?? defaultTitle(attendees),
        missing: row.missing ?? [],
        reason: row.reason ?? null,
        explicitTimeZone: row.zone ?? null,
      });
      if (row.local) expect(formatLocal(new Date(r.start ?? NaN), row.zone ?? tz)).toBe(row.local);
      expect(ParsedRequestSchema.safeParse(r).success).toBe(true);
    });
  }

  it('keeps the understood half of a partial request in date/time so an answer can complete it', () => {
    const onlyDate = parseSchedulingRequest('book with Dana on Dec 3', { now: NOW, timeZone: NY });
    expect([onlyDate.date, onlyDate.time]).toEqual(['2026-12-03', undefined]);
    const past = parseSchedulingRequest('book today at 6am with Lee', { now: NOW, timeZone: NY });
    expect([past.date, past.time]).toEqual([undefined, '06:00']);
  });

  describe('independence from the process time zone', () => {
    const original = process.env.TZ;
    afterEach(() => {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    });

    for (const processTz of ['Pacific/Chatham', 'America/Los_Angeles', 'Asia/Kolkata']) {
      it(`gives the same start when the server runs in ${processTz}`, () => {
        process.env.TZ = processTz;
        const r = parseSchedulingRequest('book with Dana tomorrow at 9am', { now: NOW, timeZone: BERLIN });
        expect(r.start).toBe('2026-11-25T08:00:00.000Z');
        const summer = parseSchedulingRequest('book with Lee on March 20 at 9am', { now: NOW, timeZone: NY });
        expect(summer.start).toBe('2027-03-20T13:00:00.000Z');
      });
    }
  });

  it('rejects an invalid IANA zone instead of guessing', () => {
    expect(() => parseSchedulingRequest('book tomorrow at 3pm', { now: NOW, timeZone: 'Mars/Base' })).toThrow(RangeError);
  });
});
