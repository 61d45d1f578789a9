// Over 300 lines: the language table, one row per phrasing, is meant to be read as one list.
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
  /** RFC 5545 RRULE body ("FREQ=WEEKLY;BYDAY=MO") of a recurring meeting. */
  rule?: string;
  /** Part of the day asked about or searched ("tomorrow afternoon"). */
  window?: { from: string; to: string };
  /** Days an agenda question covers, inclusive, in the user's zone. */
  range?: { from: string; to: string };
  /** Which meeting a reschedule moves. */
  target?: { date?: string; time?: string; attendees?: string[]; subject?: string };
  /** "push ... 30 minutes later" / "1 hour earlier". */
  shift?: number;
  scope?: 'occurrence' | 'series';
  /** The kind of meeting named ("standup", "lunch"), used to find it again. */
  subject?: string;
  /** What the agent did not use and will say it ignored. */
  ignored?: string[];
  /** "find half an hour ..." books the first free slot in the window. */
  find?: boolean;
  /** Compared only when given: the (new) local date and time understood. */
  date?: string | null;
  time?: string | null;
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

  // ---- issue 12: the phrasings of the issue ----
  {
    text: 'move my meeting with the design team to 2pm',
    says: 'a move keeps the meeting: the group is the target, 14:00 the new time',
    intent: 'reschedule',
    target: { attendees: ['the design team'] },
    date: null,
    time: '14:00',
    title: 'Meeting',
  },
  {
    text: 'move my 3pm with Dana to Friday',
    says: 'target is the 3pm with Dana; Friday is the new day, its time kept',
    intent: 'reschedule',
    target: { time: '15:00', attendees: ['Dana'] },
    date: '2026-11-27',
    time: null,
    title: 'Meeting',
  },
  {
    text: 'push the standup 30 minutes later',
    says: 'a shift of +30 min of the standup',
    intent: 'reschedule',
    target: { subject: 'standup' },
    shift: 30,
    date: null,
    time: null,
    title: 'Meeting',
  },
  {
    text: "what's on my calendar this week?",
    says: 'agenda for Mon-Sun of this week',
    intent: 'agenda',
    range: { from: '2026-11-23', to: '2026-11-29' },
    title: 'Meeting',
  },
  {
    text: 'how does my Tuesday look?',
    says: 'agenda for today (a Tuesday)',
    intent: 'agenda',
    range: { from: '2026-11-24', to: '2026-11-24' },
    title: 'Meeting',
  },
  {
    text: 'am I free Friday at 3?',
    says: 'a free/busy question; a bare 3 in a question is 3pm',
    intent: 'availability',
    start: '2026-11-27T20:00:00.000Z',
    local: 'Fri, Nov 27, 3:00 PM',
    date: '2026-11-27',
    time: '15:00',
    title: 'Meeting',
  },
  {
    text: 'when am I free tomorrow afternoon?',
    says: 'free slots in tomorrow 12:00-17:00',
    intent: 'availability',
    date: '2026-11-25',
    time: null,
    window: { from: '12:00', to: '17:00' },
    title: 'Meeting',
    missing: ['time'],
  },
  {
    text: 'meet Bob every Monday at 9 for standup',
    says: 'weekly on Mondays from Nov 30 09:00; "for standup" is the title',
    start: '2026-11-30T14:00:00.000Z',
    local: 'Mon, Nov 30, 9:00 AM',
    attendees: ['Bob'],
    title: 'Standup',
    subject: 'standup',
    rule: 'FREQ=WEEKLY;BYDAY=MO',
  },
  {
    text: 'sync with Lee every other Thursday at 10am',
    says: 'every other Thursday is INTERVAL=2',
    start: '2026-11-26T15:00:00.000Z',
    local: 'Thu, Nov 26, 10:00 AM',
    attendees: ['Lee'],
    rule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TH',
  },
  {
    text: 'standup weekdays at 8:30 until Christmas',
    says: 'weekdays from today 08:30 until the end of Dec 25',
    start: '2026-11-24T13:30:00.000Z',
    local: 'Tue, Nov 24, 8:30 AM',
    title: 'Standup',
    subject: 'standup',
    rule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261226T045959Z',
  },
  {
    text: 'book 1h with the design team tomorrow at 2pm',
    says: 'a group is an attendee',
    start: '2026-11-25T19:00:00.000Z',
    local: 'Wed, Nov 25, 2:00 PM',
    duration: 60,
    attendees: ['the design team'],
  },
  {
    text: 'lunch with Priya tomorrow at 12:30',
    says: '"lunch" names the meeting',
    start: '2026-11-25T17:30:00.000Z',
    local: 'Wed, Nov 25, 12:30 PM',
    attendees: ['Priya'],
    title: 'Lunch with Priya',
    subject: 'lunch',
  },
  {
    text: 'book a call with Dana tomorrow at 10am for 45 minutes',
    says: '"for 45 minutes"',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    duration: 45,
    attendees: ['Dana'],
  },
  {
    text: 'book an hour with Sam on Friday at 2pm',
    says: '"an hour" is 60 min',
    start: '2026-11-27T19:00:00.000Z',
    local: 'Fri, Nov 27, 2:00 PM',
    duration: 60,
    attendees: ['Sam'],
  },
  {
    text: 'book with Dana tomorrow at 3pm London time',
    says: '"London time" is Europe/London',
    zone: 'Europe/London',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    attendees: ['Dana'],
  },
  {
    text: 'book with Lee on March 3 at 10am',
    says: 'absolute date "on March 3"',
    start: '2027-03-03T15:00:00.000Z',
    local: 'Wed, Mar 3, 10:00 AM',
    attendees: ['Lee'],
  },
  {
    text: 'book with Lee on the 14th at 2pm',
    says: '"the 14th" is the next 14th (December)',
    start: '2026-12-14T19:00:00.000Z',
    local: 'Mon, Dec 14, 2:00 PM',
    attendees: ['Lee'],
  },
  {
    text: 'call w/ Sam tmrw @ 3pm for 45 mins',
    says: 'chat shorthand: w/, tmrw, @, mins',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    duration: 45,
    attendees: ['Sam'],
  },
  {
    text: 'find half an hour with Sam on Thursday morning',
    says: 'find time: Thursday 09:00-12:00, 30 min',
    attendees: ['Sam'],
    date: '2026-11-26',
    time: null,
    window: { from: '09:00', to: '12:00' },
    find: true,
    missing: ['time'],
  },

  // ---- reschedules ----
  {
    text: 'reschedule my 2pm with Lee to 4pm',
    says: 'from 14:00 to 16:00 the same day',
    intent: 'reschedule',
    target: { time: '14:00', attendees: ['Lee'] },
    date: null,
    time: '16:00',
    title: 'Meeting',
  },
  {
    text: 'move the standup to 10am',
    says: 'the standup to 10:00',
    intent: 'reschedule',
    target: { subject: 'standup' },
    date: null,
    time: '10:00',
    title: 'Meeting',
  },
  {
    text: 'push back my 3pm by an hour',
    says: 'shift +60 of the 3pm',
    intent: 'reschedule',
    target: { time: '15:00' },
    shift: 60,
    date: null,
    time: null,
    title: 'Meeting',
  },
  {
    text: 'push my meeting with Dana to next Monday',
    says: 'to next Monday, time kept',
    intent: 'reschedule',
    target: { attendees: ['Dana'] },
    date: '2026-11-30',
    time: null,
    title: 'Meeting',
  },
  {
    text: 'move lunch with Priya to Thursday at 1pm',
    says: 'the lunch with Priya to Thu 13:00',
    intent: 'reschedule',
    target: { subject: 'lunch', attendees: ['Priya'] },
    date: '2026-11-26',
    time: '13:00',
    start: '2026-11-26T18:00:00.000Z',
    local: 'Thu, Nov 26, 1:00 PM',
    title: 'Meeting',
  },
  {
    text: 'bring the sync with Sam forward 15 mins',
    says: '"forward" is earlier: shift -15',
    intent: 'reschedule',
    target: { attendees: ['Sam'] },
    shift: -15,
    date: null,
    time: null,
    title: 'Meeting',
  },
  {
    text: "move tomorrow's 10am to 11am",
    says: 'target by day and time',
    intent: 'reschedule',
    target: { date: '2026-11-25', time: '10:00' },
    date: null,
    time: '11:00',
    title: 'Meeting',
  },
  {
    text: 'can you reschedule my meeting with Lee to Friday at 2pm',
    says: 'polite form, full new time',
    intent: 'reschedule',
    target: { attendees: ['Lee'] },
    date: '2026-11-27',
    time: '14:00',
    start: '2026-11-27T19:00:00.000Z',
    local: 'Fri, Nov 27, 2:00 PM',
    title: 'Meeting',
  },
  {
    text: 'shift the demo 1 hour earlier',
    says: 'shift -60 of the demo',
    intent: 'reschedule',
    target: { subject: 'demo' },
    shift: -60,
    date: null,
    time: null,
    title: 'Meeting',
  },
  {
    text: 'postpone my 4pm with Dana to tomorrow at 5pm',
    says: '"postpone" is a move',
    intent: 'reschedule',
    target: { time: '16:00', attendees: ['Dana'] },
    date: '2026-11-25',
    time: '17:00',
    start: '2026-11-25T22:00:00.000Z',
    local: 'Wed, Nov 25, 5:00 PM',
    title: 'Meeting',
  },
  {
    text: 'push the standup back 30 mins',
    says: '"back 30 mins" is +30',
    intent: 'reschedule',
    target: { subject: 'standup' },
    shift: 30,
    date: null,
    time: null,
    title: 'Meeting',
  },
  {
    text: 'move my 9am tomorrow to Friday',
    says: 'target tomorrow 09:00, new day Friday',
    intent: 'reschedule',
    target: { date: '2026-11-25', time: '09:00' },
    date: '2026-11-27',
    time: null,
    title: 'Meeting',
  },
  {
    text: 'move my meeting with Dana',
    says: 'a move without a new time asks for one',
    intent: 'reschedule',
    target: { attendees: ['Dana'] },
    date: null,
    time: null,
    missing: ['date', 'time'],
    title: 'Meeting',
  },

  // ---- agenda questions ----
  {
    text: "what's on my calendar today?",
    says: 'agenda for today',
    intent: 'agenda',
    range: { from: '2026-11-24', to: '2026-11-24' },
    title: 'Meeting',
  },
  {
    text: 'what do I have tomorrow?',
    says: 'agenda for tomorrow',
    intent: 'agenda',
    range: { from: '2026-11-25', to: '2026-11-25' },
    title: 'Meeting',
  },
  {
    text: 'show my meetings next week',
    says: 'agenda for Mon-Sun of next week',
    intent: 'agenda',
    range: { from: '2026-11-30', to: '2026-12-06' },
    title: 'Meeting',
  },
  {
    text: "what's my schedule for Friday",
    says: 'agenda for Friday',
    intent: 'agenda',
    range: { from: '2026-11-27', to: '2026-11-27' },
    title: 'Meeting',
  },
  {
    text: 'what meetings do I have on Dec 3?',
    says: 'agenda for an absolute date',
    intent: 'agenda',
    range: { from: '2026-12-03', to: '2026-12-03' },
    title: 'Meeting',
  },
  {
    text: 'agenda for tmrw',
    says: 'shorthand agenda',
    intent: 'agenda',
    range: { from: '2026-11-25', to: '2026-11-25' },
    title: 'Meeting',
  },
  {
    text: 'anything on my calendar on Thursday?',
    says: 'agenda for Thursday',
    intent: 'agenda',
    range: { from: '2026-11-26', to: '2026-11-26' },
    title: 'Meeting',
  },
  {
    text: "what's coming up?",
    says: 'agenda for the next 7 days',
    intent: 'agenda',
    range: { from: '2026-11-24', to: '2026-11-30' },
    title: 'Meeting',
  },

  // ---- availability questions ----
  {
    text: 'am I free tomorrow at 10am?',
    says: 'free at one time',
    intent: 'availability',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    date: '2026-11-25',
    time: '10:00',
    title: 'Meeting',
  },
  {
    text: 'am I busy on Thursday at 2pm?',
    says: '"busy" asks the same',
    intent: 'availability',
    start: '2026-11-26T19:00:00.000Z',
    local: 'Thu, Nov 26, 2:00 PM',
    date: '2026-11-26',
    time: '14:00',
    title: 'Meeting',
  },
  {
    text: 'when am I free on Friday?',
    says: 'free slots on a whole day',
    intent: 'availability',
    date: '2026-11-27',
    time: null,
    title: 'Meeting',
    missing: ['time'],
  },
  {
    text: 'do I have time tomorrow morning?',
    says: 'free slots tomorrow 09:00-12:00',
    intent: 'availability',
    date: '2026-11-25',
    time: null,
    window: { from: '09:00', to: '12:00' },
    title: 'Meeting',
    missing: ['time'],
  },
  {
    text: 'any free time next Monday?',
    says: 'free slots next Monday',
    intent: 'availability',
    date: '2026-11-30',
    time: null,
    title: 'Meeting',
    missing: ['time'],
  },
  {
    text: 'when am I available this afternoon?',
    says: 'free slots today 12:00-17:00',
    intent: 'availability',
    date: '2026-11-24',
    time: null,
    window: { from: '12:00', to: '17:00' },
    title: 'Meeting',
    missing: ['time'],
  },
  {
    text: 'is Friday at 4pm free?',
    says: '"is X free"',
    intent: 'availability',
    start: '2026-11-27T21:00:00.000Z',
    local: 'Fri, Nov 27, 4:00 PM',
    date: '2026-11-27',
    time: '16:00',
    title: 'Meeting',
  },

  // ---- recurring meetings ----
  {
    text: 'daily standup at 9:15',
    says: 'daily from today 09:15',
    start: '2026-11-24T14:15:00.000Z',
    local: 'Tue, Nov 24, 9:15 AM',
    title: 'Standup',
    subject: 'standup',
    rule: 'FREQ=DAILY',
  },
  {
    text: '1:1 with Lee every week on Tuesday at 11am',
    says: 'weekly on Tuesdays, first one today',
    start: '2026-11-24T16:00:00.000Z',
    local: 'Tue, Nov 24, 11:00 AM',
    attendees: ['Lee'],
    rule: 'FREQ=WEEKLY;BYDAY=TU',
  },
  {
    text: 'standup every weekday at 9am',
    says: '"every weekday" is Mon-Fri',
    start: '2026-11-24T14:00:00.000Z',
    local: 'Tue, Nov 24, 9:00 AM',
    title: 'Standup',
    subject: 'standup',
    rule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  },
  {
    text: 'sync with Dana every Wednesday at 2pm for 10 weeks',
    says: '"for 10 weeks" is COUNT=10, not a length',
    start: '2026-11-25T19:00:00.000Z',
    local: 'Wed, Nov 25, 2:00 PM',
    attendees: ['Dana'],
    rule: 'FREQ=WEEKLY;BYDAY=WE;COUNT=10',
  },
  {
    text: 'check-in with Sam every day at 8am',
    says: 'every day; "check-in" names it',
    start: '2026-11-24T13:00:00.000Z',
    local: 'Tue, Nov 24, 8:00 AM',
    attendees: ['Sam'],
    title: 'Check-in with Sam',
    subject: 'check-in',
    rule: 'FREQ=DAILY',
  },
  {
    text: 'meeting with Dana every Monday and Wednesday at 4pm',
    says: 'two weekdays, first one Wednesday',
    start: '2026-11-25T21:00:00.000Z',
    local: 'Wed, Nov 25, 4:00 PM',
    attendees: ['Dana'],
    rule: 'FREQ=WEEKLY;BYDAY=MO,WE',
  },
  {
    text: 'biweekly sync with Dana on Fridays at 11am',
    says: '"biweekly" is every other week',
    start: '2026-11-27T16:00:00.000Z',
    local: 'Fri, Nov 27, 11:00 AM',
    attendees: ['Dana'],
    rule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=FR',
  },
  {
    text: 'weekly 1:1 with Lee on Thursdays at 3pm',
    says: '"weekly ... on Thursdays"',
    start: '2026-11-26T20:00:00.000Z',
    local: 'Thu, Nov 26, 3:00 PM',
    attendees: ['Lee'],
    rule: 'FREQ=WEEKLY;BYDAY=TH',
  },
  {
    text: 'standup every Monday at 9 until Dec 21',
    says: 'UNTIL is the end of Dec 21 in New York',
    start: '2026-11-30T14:00:00.000Z',
    local: 'Mon, Nov 30, 9:00 AM',
    title: 'Standup',
    subject: 'standup',
    rule: 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20261222T045959Z',
  },
  {
    text: 'review with Lee every month on the 15th at 10am',
    says: 'monthly on the 15th',
    start: '2026-12-15T15:00:00.000Z',
    local: 'Tue, Dec 15, 10:00 AM',
    attendees: ['Lee'],
    title: 'Review with Lee',
    subject: 'review',
    rule: 'FREQ=MONTHLY;BYMONTHDAY=15',
  },
  {
    text: 'retro every other Friday at 4pm',
    says: 'every other Friday',
    start: '2026-11-27T21:00:00.000Z',
    local: 'Fri, Nov 27, 4:00 PM',
    title: 'Retro',
    subject: 'retro',
    rule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=FR',
  },

  // ---- cancelling one occurrence or the series ----
  {
    text: 'cancel the standup series',
    says: 'the whole series',
    intent: 'cancel',
    subject: 'standup',
    scope: 'series',
    title: 'Standup',
    missing: ['date', 'time'],
  },
  {
    text: 'cancel all my standups',
    says: '"all my standups" is the series',
    intent: 'cancel',
    subject: 'standup',
    scope: 'series',
    title: 'Standup',
    missing: ['date', 'time'],
  },
  {
    text: "cancel next Monday's standup",
    says: 'one occurrence',
    intent: 'cancel',
    subject: 'standup',
    scope: 'occurrence',
    title: 'Standup',
    date: '2026-11-30',
    missing: ['time'],
  },
  {
    text: 'cancel the standup on Monday',
    says: 'one occurrence by day',
    intent: 'cancel',
    subject: 'standup',
    scope: 'occurrence',
    title: 'Standup',
    date: '2026-11-30',
    missing: ['time'],
  },
  {
    text: 'cancel every standup',
    says: '"every" is the series',
    intent: 'cancel',
    subject: 'standup',
    scope: 'series',
    title: 'Standup',
    missing: ['date', 'time'],
  },

  // ---- attendees ----
  {
    text: 'meeting w/ marketing team fri @ 10am',
    says: 'a team without "the" is still a group',
    start: '2026-11-27T15:00:00.000Z',
    local: 'Fri, Nov 27, 10:00 AM',
    attendees: ['the marketing team'],
  },
  {
    text: 'book with Priya, Dana & the sales team tomorrow at 11am',
    says: 'names and a group together',
    start: '2026-11-25T16:00:00.000Z',
    local: 'Wed, Nov 25, 11:00 AM',
    attendees: ['Priya', 'Dana', 'the sales team'],
    title: 'Meeting with Priya, Dana and the sales team',
  },
  {
    text: 'book with dana@example.com and Lee tomorrow at 4pm',
    says: 'an email and a name',
    start: '2026-11-25T21:00:00.000Z',
    local: 'Wed, Nov 25, 4:00 PM',
    attendees: ['dana@example.com', 'Lee'],
  },
  {
    text: 'invite sam@example.com to a call tomorrow at 2pm',
    says: '"invite X" names an attendee',
    start: '2026-11-25T19:00:00.000Z',
    local: 'Wed, Nov 25, 2:00 PM',
    attendees: ['sam@example.com'],
  },

  // ---- titles ----
  {
    text: 'dinner with Sam on Friday at 7pm',
    says: '"dinner" names it',
    start: '2026-11-28T00:00:00.000Z',
    local: 'Fri, Nov 27, 7:00 PM',
    attendees: ['Sam'],
    title: 'Dinner with Sam',
    subject: 'dinner',
  },
  {
    text: 'standup tomorrow at 9:30',
    says: 'a bare "standup" is a request and its title',
    start: '2026-11-25T14:30:00.000Z',
    local: 'Wed, Nov 25, 9:30 AM',
    title: 'Standup',
    subject: 'standup',
  },
  {
    text: 'interview with Lee tomorrow at 11am',
    says: '"interview" names it',
    start: '2026-11-25T16:00:00.000Z',
    local: 'Wed, Nov 25, 11:00 AM',
    attendees: ['Lee'],
    title: 'Interview with Lee',
    subject: 'interview',
  },
  {
    text: 'schedule a retro on Friday at 4pm',
    says: '"a retro"',
    start: '2026-11-27T21:00:00.000Z',
    local: 'Fri, Nov 27, 4:00 PM',
    title: 'Retro',
    subject: 'retro',
  },
  {
    text: 'book a dentist appointment tomorrow at 9am',
    says: '"X appointment" is the title',
    start: '2026-11-25T14:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    title: 'Dentist appointment',
  },

  // ---- durations ----
  {
    text: 'book 2 hrs with Lee on Thursday at 1pm',
    says: '"2 hrs"',
    start: '2026-11-26T18:00:00.000Z',
    local: 'Thu, Nov 26, 1:00 PM',
    duration: 120,
    attendees: ['Lee'],
  },
  {
    text: 'book a 90-minute call with Dana tomorrow at 10am',
    says: '"90-minute"',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    duration: 90,
    attendees: ['Dana'],
  },
  {
    text: 'call with Sam for 20 mins tomorrow at 4pm',
    says: '"for 20 mins"',
    start: '2026-11-25T21:00:00.000Z',
    local: 'Wed, Nov 25, 4:00 PM',
    duration: 20,
    attendees: ['Sam'],
  },

  // ---- named zones ----
  {
    text: 'call with Ken tomorrow at 9am Tokyo time',
    says: '"Tokyo time"',
    zone: TOKYO,
    start: '2026-11-25T00:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    attendees: ['Ken'],
  },
  {
    text: 'book with Dana tomorrow at 9am New York time',
    tz: BERLIN,
    says: '"New York time" from Berlin',
    zone: NY,
    start: '2026-11-25T14:00:00.000Z',
    local: 'Wed, Nov 25, 9:00 AM',
    attendees: ['Dana'],
  },
  {
    text: 'book with Lee tomorrow at 4pm Pacific time',
    says: '"Pacific time"',
    zone: 'America/Los_Angeles',
    start: '2026-11-26T00:00:00.000Z',
    local: 'Wed, Nov 25, 4:00 PM',
    attendees: ['Lee'],
  },
  {
    text: 'book with Anne on Friday at noon Paris time',
    says: '"noon Paris time"',
    zone: 'Europe/Paris',
    start: '2026-11-27T11:00:00.000Z',
    local: 'Fri, Nov 27, 12:00 PM',
    attendees: ['Anne'],
  },

  // ---- absolute dates ----
  {
    text: 'book with Dana on the 3rd at 10am',
    says: '"the 3rd" is Dec 3',
    start: '2026-12-03T15:00:00.000Z',
    local: 'Thu, Dec 3, 10:00 AM',
    attendees: ['Dana'],
  },
  {
    text: 'book with Dana on Dec 10th at 2pm',
    says: '"Dec 10th"',
    start: '2026-12-10T19:00:00.000Z',
    local: 'Thu, Dec 10, 2:00 PM',
    attendees: ['Dana'],
  },
  {
    text: 'book with Sam on 12/15 at 9am',
    says: '"12/15"',
    start: '2026-12-15T14:00:00.000Z',
    local: 'Tue, Dec 15, 9:00 AM',
    attendees: ['Sam'],
  },
  {
    text: 'book with Lee on the 24th at 4pm',
    says: '"the 24th" on the 24th is today',
    start: '2026-11-24T21:00:00.000Z',
    local: 'Tue, Nov 24, 4:00 PM',
    attendees: ['Lee'],
  },

  // ---- chat shorthand ----
  {
    text: 'mtg w/ Dana tmrw @ 10am',
    says: '"mtg"',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    attendees: ['Dana'],
  },
  {
    text: 'pls book 30m w/ Lee thurs @ 2pm',
    says: '"pls", "30m", "thurs"',
    start: '2026-11-26T19:00:00.000Z',
    local: 'Thu, Nov 26, 2:00 PM',
    attendees: ['Lee'],
  },
  {
    text: 'call w/ Sam nxt tues @ 11am',
    says: '"nxt tues"',
    start: '2026-12-01T16:00:00.000Z',
    local: 'Tue, Dec 1, 11:00 AM',
    attendees: ['Sam'],
  },
  {
    text: 'book 1 hr w/ Dana tmrw @ 3pm',
    says: '"1 hr"',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    duration: 60,
    attendees: ['Dana'],
  },
  {
    text: 'book w/ Lee @ 4pm 2moro',
    says: '"2moro"',
    start: '2026-11-25T21:00:00.000Z',
    local: 'Wed, Nov 25, 4:00 PM',
    attendees: ['Lee'],
  },

  // ---- nothing dropped silently ----
  {
    text: 'book with Dana tomorrow at 3pm in the big conference room',
    says: 'the room is named as ignored',
    start: '2026-11-25T20:00:00.000Z',
    local: 'Wed, Nov 25, 3:00 PM',
    attendees: ['Dana'],
    ignored: ['big conference room'],
  },
  {
    text: 'book with Lee tomorrow at 10am and bring the slides',
    says: 'an instruction it cannot follow is named',
    start: '2026-11-25T15:00:00.000Z',
    local: 'Wed, Nov 25, 10:00 AM',
    attendees: ['Lee'],
    ignored: ['bring the slides'],
  },
  {
    text: 'book with Sam tomorrow at 2pm on zoom',
    says: '"zoom" is named as ignored',
    start: '2026-11-25T19:00:00.000Z',
    local: 'Wed, Nov 25, 2:00 PM',
    attendees: ['Sam'],
    ignored: ['zoom'],
  },

  // ---- moving one occurrence of a series, or all of it ----
  {
    text: 'move the standup on Monday to 10am',
    says: 'a day named with the meeting: only that occurrence moves, to 10:00',
    intent: 'reschedule',
    target: { subject: 'standup', date: '2026-11-30' },
    scope: 'occurrence',
    time: '10:00',
  },
  {
    text: "move only next Monday's standup to Wednesday",
    says: '"only" one occurrence, to Wednesday at its own time',
    intent: 'reschedule',
    target: { subject: 'standup', date: '2026-11-30' },
    scope: 'occurrence',
    date: '2026-11-25',
  },
  {
    text: "push just Monday's standup 15 minutes later",
    says: 'one occurrence shifted by 15 minutes',
    intent: 'reschedule',
    target: { subject: 'standup', date: '2026-11-30' },
    scope: 'occurrence',
    shift: 15,
  },
  {
    text: 'move all my standups to 10am',
    says: '"all" moves the series',
    intent: 'reschedule',
    target: { subject: 'standup' },
    scope: 'series',
    time: '10:00',
  },
  {
    text: 'move every standup to 9:30am',
    says: '"every" moves the series',
    intent: 'reschedule',
    target: { subject: 'standup' },
    scope: 'series',
    time: '09:30',
  },

  // ---- clearing part of a day ----
  {
    text: 'clear my afternoon',
    says: "today's afternoon",
    intent: 'clear',
    date: '2026-11-24',
    window: { from: '12:00', to: '17:00' },
  },
  {
    text: 'clear my afternoon tomorrow',
    says: "tomorrow's afternoon",
    intent: 'clear',
    date: '2026-11-25',
    window: { from: '12:00', to: '17:00' },
  },
  {
    text: 'clear tomorrow morning',
    says: "tomorrow's morning",
    intent: 'clear',
    date: '2026-11-25',
    window: { from: '09:00', to: '12:00' },
  },
  {
    text: 'free up my Friday afternoon',
    says: 'Friday afternoon',
    intent: 'clear',
    date: '2026-11-27',
    window: { from: '12:00', to: '17:00' },
  },
  {
    text: 'cancel everything this afternoon',
    says: '"cancel everything" with a part of the day clears it',
    intent: 'clear',
    date: '2026-11-24',
    window: { from: '12:00', to: '17:00' },
  },
  {
    text: 'clear my calendar today',
    says: 'the whole of today (no window)',
    intent: 'clear',
    date: '2026-11-24',
  },
  {
    text: 'clear my schedule on Friday',
    says: 'the whole of Friday',
    intent: 'clear',
    date: '2026-11-27',
  },
  {
    text: 'wipe my evening',
    says: "today's evening",
    intent: 'clear',
    date: '2026-11-24',
    window: { from: '17:00', to: '21:00' },
  },
];

/** Independent of the implementation on purpose: rows with 3+ names spell the title out. */
function defaultTitle(attendees: string[]): string {
  return attendees.length ? `Meeting with ${attendees.join(' and ')}` : 'Meeting';
}

describe('parseSchedulingRequest', () => {
  it('covers at least 127 requests (67 before issue 12, plus its phrasings and 60 more)', () => {
    expect(rows.length).toBeGreaterThanOrEqual(127);
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
        recurrence: r.recurrence ?? null,
        window: r.window ?? null,
        range: r.range ?? null,
        target: r.target ?? null,
        shiftMinutes: r.shiftMinutes ?? null,
        scope: r.scope ?? null,
        subject: r.subject ?? null,
        find: r.find ?? false,
        // What was ignored matters when the agent acts on the request, not for a question.
        ignored: r.intent === 'schedule' || r.intent === 'reschedule' ? (r.ignored ?? []) : [],
      }).toEqual({
        intent: row.intent ?? 'schedule',
        start: row.start ?? null,
        durationMinutes: row.duration ?? 30,
        attendees,
        title: row.title ?? defaultTitle(attendees),
        missing: row.missing ?? [],
        reason: row.reason ?? null,
        explicitTimeZone: row.zone ?? null,
        recurrence: row.rule ?? null,
        window: row.window ?? null,
        range: row.range ?? null,
        target: row.target ? { attendees: [], ...row.target } : null,
        shiftMinutes: row.shift ?? null,
        scope: row.scope ?? null,
        subject: row.subject ?? null,
        find: row.find ?? false,
        ignored: row.ignored ?? [],
      });
      if (row.date !== undefined) expect(r.date ?? null).toBe(row.date);
      if (row.time !== undefined) expect(r.time ?? null).toBe(row.time);
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
