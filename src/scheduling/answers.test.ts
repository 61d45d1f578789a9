import { describe, expect, it } from 'vitest';

import { mergeClarification, parseAlternativeChoice } from './answers';
import { parseSchedulingRequest } from './parse-request';

const NOW = new Date('2026-11-24T12:00:00Z'); // Tue 07:00 New York
const NY = { now: NOW, timeZone: 'America/New_York' };

// Wed 15:30, Wed 16:00, Thu 10:00 in New York.
const ALTERNATIVES = [
  { start: '2026-11-25T20:30:00.000Z', end: '2026-11-25T21:00:00.000Z' },
  { start: '2026-11-25T21:00:00.000Z', end: '2026-11-25T21:30:00.000Z' },
  { start: '2026-11-26T15:00:00.000Z', end: '2026-11-26T15:30:00.000Z' },
];

describe('parseAlternativeChoice', () => {
  const cases: Array<[string, number | null, string]> = [
    ['the second one', 1, 'ordinal word'],
    ['2', 1, 'bare number is 1-based'],
    ['#2', 1, 'hash number'],
    ['option 3', 2, '"option N"'],
    ['option one', 0, '"option" with a number word'],
    ['first', 0, 'ordinal alone'],
    ['the last one', 2, '"last" is the final alternative'],
    ['3:30 works', 0, 'time without am/pm matches 15:30'],
    ['3:30pm is fine', 0, 'time with pm'],
    ['ok 4pm', 1, 'time after filler word'],
    ['the 4pm one', 1, 'time inside a phrase'],
    ['Thursday at 10am works', 2, 'day and time'],
    ['5', null, 'number beyond the list'],
    ['10:30am', null, 'time that matches no alternative'],
    ['none of them work', null, 'refusal'],
    ['not the first one', null, 'negated choice is not a pick'],
    ['sounds good', null, 'no recognisable choice'],
  ];
  for (const [text, expected, why] of cases) {
    it(`"${text}" -> ${expected === null ? 'null' : `index ${expected}`} (${why})`, () => {
      expect(parseAlternativeChoice(text, ALTERNATIVES, NY)).toBe(expected);
    });
  }

  it('returns null when a time matches alternatives on two days and no day is given', () => {
    const twoDays = [ALTERNATIVES[0]!, { start: '2026-11-26T20:30:00.000Z', end: '2026-11-26T21:00:00.000Z' }];
    expect(parseAlternativeChoice('3:30 works', twoDays, NY)).toBeNull();
    expect(parseAlternativeChoice('thursday at 3:30pm', twoDays, NY)).toBe(1);
  });

  it('matches times on the wall clock of the user zone, not UTC', () => {
    // 00:00Z is 09:00 in Tokyo and 19:00 (previous day) in New York.
    const alts = [
      { start: '2026-11-25T00:00:00.000Z', end: '2026-11-25T00:30:00.000Z' },
      { start: '2026-11-25T01:00:00.000Z', end: '2026-11-25T01:30:00.000Z' },
    ];
    expect(parseAlternativeChoice('9am is good', alts, { now: NOW, timeZone: 'Asia/Tokyo' })).toBe(0);
    expect(parseAlternativeChoice('9am is good', alts, NY)).toBeNull();
  });

  it('returns null for an empty list', () => {
    expect(parseAlternativeChoice('first', [], NY)).toBeNull();
  });
});

describe('mergeClarification', () => {
  const merge = (request: string, answer: string, opts = NY) => mergeClarification(parseSchedulingRequest(request, opts), answer, opts);

  it('"tomorrow" fills the date of "book with Dana at 3pm" -> Wed 15:00', () => {
    const r = merge('book with Dana at 3pm', 'tomorrow');
    expect(r).toMatchObject({ start: '2026-11-25T20:00:00.000Z', missing: [], attendees: ['Dana'] });
  });

  it('"at 3pm" fills the time and keeps the 60 min duration and title from before', () => {
    const r = merge('book 1h "Planning" with Dana tomorrow', 'at 3pm');
    expect(r).toMatchObject({
      start: '2026-11-25T20:00:00.000Z',
      durationMinutes: 60,
      title: 'Planning',
      attendees: ['Dana'],
      missing: [],
    });
  });

  it('"Friday at 10" answers a "next week" question with a full date and time', () => {
    const r = merge('book with Dana next week', 'Friday at 10');
    expect(r).toMatchObject({ start: '2026-12-04T15:00:00.000Z', missing: [] });
    expect(r.reason).toBeUndefined();
  });

  it('a bare weekday after "which day next week?" means next week\'s day, still asking for time', () => {
    const r = merge('book with Dana next week', 'Tuesday');
    expect(r).toMatchObject({ date: '2026-12-01', missing: ['time'] });
  });

  it('"3pm" resolves an ambiguous "at 3" while keeping the date', () => {
    expect(merge('book with Dana tomorrow at 3', '3pm').start).toBe('2026-11-25T20:00:00.000Z');
  });

  it('a bare "10" answering a time question is 10am', () => {
    expect(merge('book with Dana tomorrow', '10').start).toBe('2026-11-25T15:00:00.000Z');
  });

  it('a bare "4" is still ambiguous and asks again', () => {
    const r = merge('book with Dana tomorrow', '4');
    expect(r).toMatchObject({ missing: ['time'], reason: 'ambiguous-hour', date: '2026-11-25' });
  });

  it('"tomorrow" after a past start keeps the time and moves the date', () => {
    const r = merge('book with Lee today at 6am', 'tomorrow');
    expect(r).toMatchObject({ start: '2026-11-25T11:00:00.000Z', missing: [] });
  });

  it('keeps an explicit zone from the request when the answer only gives the day', () => {
    const r = merge('book "Sync" at 10:00 UTC', 'tomorrow');
    expect(r).toMatchObject({ start: '2026-11-25T10:00:00.000Z', explicitTimeZone: 'UTC' });
  });

  it('drops the old explicit zone when the answer states a new local time', () => {
    const r = merge('book at 10:00 UTC tomorrow with Dana', 'actually at 11am');
    expect(r.explicitTimeZone).toBeUndefined();
    expect(r.start).toBe('2026-11-25T16:00:00.000Z');
  });

  it('attendees named in the answer are used when the request had none, updating a derived title', () => {
    const r = merge('book a meeting tomorrow', 'at 2pm with Lee');
    expect(r).toMatchObject({ attendees: ['Lee'], title: 'Meeting with Lee', start: '2026-11-25T19:00:00.000Z' });
  });

  it('a duration stated in the answer replaces the default', () => {
    expect(merge('book with Dana tomorrow', 'at 4pm for 45 min').durationMinutes).toBe(45);
  });

  it('an answer with nothing usable leaves the request still missing the same part', () => {
    const r = merge('book with Dana tomorrow', 'hmm not sure');
    expect(r).toMatchObject({ date: '2026-11-25', missing: ['time'], attendees: ['Dana'] });
  });

  it('keeps the cancel intent', () => {
    expect(merge('cancel the meeting with Lee on Friday', 'the 2pm one')).toMatchObject({
      intent: 'cancel',
      start: '2026-11-27T19:00:00.000Z',
    });
  });

  it('interprets the answer in the user zone (Tokyo)', () => {
    const tokyo = { now: NOW, timeZone: 'Asia/Tokyo' };
    expect(merge('book with Ken at 9am', 'tomorrow', tokyo).start).toBe('2026-11-25T00:00:00.000Z');
  });
});
