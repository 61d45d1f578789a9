import { describe, expect, it } from 'vitest';

import {
  DEFAULT_WORKING_HOURS,
  type Interval,
  type WorkingHours,
  findAlternatives,
  formatLocal,
  isWithinWorkingHours,
} from './availability';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const NOW = new Date('2026-11-24T12:00:00Z'); // Tue 07:00 New York
const at = (iso: string): Date => new Date(iso);
const span = (start: string, end: string): Interval => ({ start: at(start), end: at(end) });
const starts = (slots: { start: string }[]): string[] => slots.map((s) => s.start);

describe('isWithinWorkingHours (default Mon-Fri 09:00-17:00)', () => {
  const cases: Array<[string, string, string, boolean, string]> = [
    ['2026-11-25T14:00:00Z', '2026-11-25T14:30:00Z', NY, true, 'Wed 09:00-09:30 EST starts exactly at opening'],
    ['2026-11-25T13:30:00Z', '2026-11-25T14:00:00Z', NY, false, 'Wed 08:30-09:00 EST is before opening'],
    ['2026-11-25T21:30:00Z', '2026-11-25T22:00:00Z', NY, true, 'Wed 16:30-17:00 EST ends exactly at closing'],
    ['2026-11-25T21:45:00Z', '2026-11-25T22:15:00Z', NY, false, 'Wed 16:45-17:15 EST runs past closing'],
    ['2026-11-28T15:00:00Z', '2026-11-28T15:30:00Z', NY, false, 'Saturday is not a working day'],
    ['2027-03-12T13:00:00Z', '2027-03-12T13:30:00Z', NY, false, '13:00Z on Fri before DST is 08:00 EST'],
    ['2027-03-15T13:00:00Z', '2027-03-15T13:30:00Z', NY, true, '13:00Z on Mon after DST is 09:00 EDT'],
    ['2027-03-15T21:00:00Z', '2027-03-15T21:30:00Z', NY, false, '21:00Z on Mon after DST is 17:00 EDT'],
    ['2026-10-23T07:00:00Z', '2026-10-23T07:30:00Z', BERLIN, true, 'Berlin Fri 09:00 CEST (07:00Z) before the fall change'],
    ['2026-10-26T07:00:00Z', '2026-10-26T07:30:00Z', BERLIN, false, 'Berlin Mon 08:00 CET (07:00Z) after the fall change'],
    ['2026-11-25T15:00:00Z', '2026-11-25T14:30:00Z', NY, false, 'end before start'],
  ];
  for (const [start, end, tz, expected, why] of cases) {
    it(`${why} -> ${expected}`, () => {
      expect(isWithinWorkingHours(at(start), at(end), DEFAULT_WORKING_HOURS, tz)).toBe(expected);
    });
  }

  it('honours custom days and hours (weekend shift 10:00-14:00)', () => {
    const weekend: WorkingHours = { days: [0, 6], start: '10:00', end: '14:00' };
    expect(isWithinWorkingHours(at('2026-11-28T15:00:00Z'), at('2026-11-28T16:00:00Z'), weekend, NY)).toBe(true);
    expect(isWithinWorkingHours(at('2026-11-25T15:00:00Z'), at('2026-11-25T16:00:00Z'), weekend, NY)).toBe(false);
  });
});

describe('findAlternatives', () => {
  const base = { durationMinutes: 30, timeZone: NY, now: NOW, workingHours: DEFAULT_WORKING_HOURS };

  it('prefers the desired day, nearest first, earlier winning a tie (Wed 15:00 busy 14-16)', () => {
    const slots = findAlternatives({
      ...base,
      desiredStart: at('2026-11-25T20:00:00Z'),
      busy: [span('2026-11-25T19:00:00Z', '2026-11-25T21:00:00Z')],
    });
    // 16:00 (1h away), then 13:30 and 16:30 (both 1.5h; earlier first).
    expect(starts(slots)).toEqual(['2026-11-25T21:00:00.000Z', '2026-11-25T18:30:00.000Z', '2026-11-25T21:30:00.000Z']);
    expect(slots[0]?.end).toBe('2026-11-25T21:30:00.000Z');
  });

  it('never offers a slot before now', () => {
    const slots = findAlternatives({
      ...base,
      now: at('2026-11-24T18:10:00Z'), // Tue 13:10
      desiredStart: at('2026-11-24T18:00:00Z'),
      busy: [span('2026-11-24T18:00:00Z', '2026-11-24T19:00:00Z')],
    });
    // 12:30 would be nearest but is already over.
    expect(starts(slots)).toEqual(['2026-11-24T19:00:00.000Z', '2026-11-24T19:30:00.000Z', '2026-11-24T20:00:00.000Z']);
  });

  it('spills to the next day once the desired day is full, respecting a 60 min duration', () => {
    const slots = findAlternatives({
      ...base,
      durationMinutes: 60,
      desiredStart: at('2026-11-25T20:00:00Z'),
      busy: [span('2026-11-25T14:00:00Z', '2026-11-25T20:30:00Z')], // Wed 09:00-15:30
    });
    // 15:30 and 16:00 fit before 17:00; 16:30 would overrun. Then Thu 09:00.
    expect(starts(slots)).toEqual(['2026-11-25T20:30:00.000Z', '2026-11-25T21:00:00.000Z', '2026-11-26T14:00:00.000Z']);
  });

  it('skips the weekend (busy Friday -> Monday 09:00)', () => {
    const slots = findAlternatives({
      ...base,
      desiredStart: at('2026-11-27T21:00:00Z'),
      busy: [span('2026-11-27T14:00:00Z', '2026-11-27T22:00:00Z')],
    });
    expect(starts(slots)).toEqual(['2026-11-30T14:00:00.000Z', '2026-11-30T14:30:00.000Z', '2026-11-30T15:00:00.000Z']);
  });

  it('places next-day slots in local time across the DST change (Mon 09:00 EDT = 13:00Z)', () => {
    const slots = findAlternatives({
      ...base,
      desiredStart: at('2027-03-12T15:00:00Z'),
      busy: [span('2027-03-12T14:00:00Z', '2027-03-12T22:00:00Z')],
    });
    expect(starts(slots)).toEqual(['2027-03-15T13:00:00.000Z', '2027-03-15T13:30:00.000Z', '2027-03-15T14:00:00.000Z']);
  });

  it('limits the result to count', () => {
    const desiredStart = at('2026-11-25T20:00:00Z');
    expect(findAlternatives({ ...base, desiredStart, busy: [], count: 1 })).toHaveLength(1);
    expect(starts(findAlternatives({ ...base, desiredStart, busy: [], count: 5 }))).toEqual([
      '2026-11-25T20:00:00.000Z',
      '2026-11-25T19:30:00.000Z',
      '2026-11-25T20:30:00.000Z',
      '2026-11-25T19:00:00.000Z',
      '2026-11-25T21:00:00.000Z',
    ]);
  });

  it('returns nothing when every working slot in the search window is busy', () => {
    const slots = findAlternatives({
      ...base,
      desiredStart: at('2026-11-25T20:00:00Z'),
      busy: [span('2026-11-24T00:00:00Z', '2026-12-31T00:00:00Z')],
      searchDays: 14,
    });
    expect(slots).toEqual([]);
  });

  it('uses custom working hours in the user zone (Berlin 10:00-12:00 hourly, Wed full -> Thu, Fri)', () => {
    const slots = findAlternatives({
      ...base,
      timeZone: BERLIN,
      workingHours: { days: [1, 2, 3, 4, 5], start: '10:00', end: '12:00' },
      stepMinutes: 60,
      desiredStart: at('2026-11-25T10:00:00Z'),
      busy: [span('2026-11-25T09:00:00Z', '2026-11-25T11:00:00Z')],
    });
    expect(starts(slots)).toEqual(['2026-11-26T09:00:00.000Z', '2026-11-26T10:00:00.000Z', '2026-11-27T09:00:00.000Z']);
  });

  it('only returns slots that are free and inside working hours', () => {
    const busy = [span('2026-11-25T15:00:00Z', '2026-11-25T18:00:00Z')];
    const slots = findAlternatives({ ...base, desiredStart: at('2026-11-25T16:00:00Z'), busy, count: 10 });
    expect(slots).toHaveLength(10);
    for (const s of slots) {
      expect(isWithinWorkingHours(at(s.start), at(s.end), DEFAULT_WORKING_HOURS, NY)).toBe(true);
      expect(busy.some((b) => at(s.start) < b.end && at(s.end) > b.start)).toBe(false);
    }
  });
});

describe('formatLocal', () => {
  it('formats in the given zone, en-US, with a plain space before AM/PM', () => {
    expect(formatLocal(at('2026-11-25T20:00:00Z'), NY)).toBe('Wed, Nov 25, 3:00 PM');
    expect(formatLocal(at('2026-11-25T20:00:00Z'), 'Asia/Tokyo')).toBe('Thu, Nov 26, 5:00 AM');
    expect(formatLocal(at('2027-03-15T13:00:00Z'), NY)).toBe('Mon, Mar 15, 9:00 AM');
  });
});
