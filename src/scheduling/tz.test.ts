import { describe, expect, it } from 'vitest';

import { addDays, getOffsetMinutes, getZonedParts, zonedTimeToUtc } from './tz';

describe('tz helpers', () => {
  it('reads offsets including DST and non-hour zones', () => {
    expect(getOffsetMinutes('America/New_York', new Date('2026-11-24T12:00:00Z'))).toBe(-300);
    expect(getOffsetMinutes('America/New_York', new Date('2026-07-01T12:00:00Z'))).toBe(-240);
    expect(getOffsetMinutes('Asia/Kolkata', new Date('2026-11-24T12:00:00Z'))).toBe(330);
    expect(getOffsetMinutes('Pacific/Chatham', new Date('2026-11-24T12:00:00Z'))).toBe(825);
  });

  it('converts wall-clock to UTC on either side of a DST change', () => {
    expect(zonedTimeToUtc({ year: 2027, month: 3, day: 13, hour: 9, minute: 0 }, 'America/New_York').toISOString()).toBe(
      '2027-03-13T14:00:00.000Z',
    );
    expect(zonedTimeToUtc({ year: 2027, month: 3, day: 15, hour: 9, minute: 0 }, 'America/New_York').toISOString()).toBe(
      '2027-03-15T13:00:00.000Z',
    );
  });

  it('moves a time in the spring-forward gap forward by the gap', () => {
    expect(zonedTimeToUtc({ year: 2027, month: 3, day: 14, hour: 2, minute: 30 }, 'America/New_York').toISOString()).toBe(
      '2027-03-14T07:30:00.000Z',
    ); // 03:30 EDT
  });

  it('resolves a time repeated by fall-back to the earlier instant', () => {
    expect(zonedTimeToUtc({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York').toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    ); // 01:30 EDT, not 01:30 EST
    expect(zonedTimeToUtc({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin').toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    ); // 02:30 CEST
  });

  it('reads wall-clock parts and does calendar arithmetic across month ends', () => {
    expect(getZonedParts(new Date('2026-11-24T12:00:00Z'), 'Asia/Tokyo')).toMatchObject({
      year: 2026,
      month: 11,
      day: 24,
      hour: 21,
      minute: 0,
      weekday: 2,
    });
    expect(addDays({ year: 2026, month: 11, day: 30 }, 2)).toEqual({ year: 2026, month: 12, day: 2, weekday: 3 });
  });
});
