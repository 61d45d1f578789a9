import { describe, expect, it } from 'vitest';
import { confirmation, describeHours, formatClock, formatDay } from './agent-messages';
import { formatLocal } from './availability';

// The chat's one time format (issue 12): "Thu, Nov 26, 2:00 PM", never "14:00" or "2026-11-26".
const ONE_FORMAT = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2} (AM|PM)$/;

describe("the agent's time words", () => {
  it('writes working hours on the 12-hour clock of the rest of the chat', () => {
    expect(describeHours({ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:30' })).toBe('Mon-Fri 9:00 AM - 5:30 PM');
    expect(describeHours({ days: [0, 6], start: '00:00', end: '12:00' })).toBe('Sun, Sat 12:00 AM - 12:00 PM');
  });

  it('formats instants, clock times and days in the one format, in the given zone', () => {
    const at = new Date('2026-11-26T19:00:00Z');
    expect(formatLocal(at, 'America/New_York')).toBe('Thu, Nov 26, 2:00 PM');
    expect(formatLocal(at, 'Asia/Tokyo')).toBe('Fri, Nov 27, 4:00 AM');
    expect(formatLocal(at, 'Europe/Berlin')).toMatch(ONE_FORMAT);
    expect(formatClock('14:00')).toBe('2:00 PM');
    expect(formatDay('2026-11-26')).toBe('Thu, Nov 26');
  });

  it("states the meeting's length in every confirmation", () => {
    const start = new Date('2026-11-26T19:00:00Z');
    const text = (minutes: number) => confirmation('Lunch', start, new Date(start.getTime() + minutes * 60_000), 'America/New_York');
    expect(text(30)).toBe('Meeting scheduled: Lunch, Thu, Nov 26, 2:00 PM (30 min)');
    expect(text(60)).toBe('Meeting scheduled: Lunch, Thu, Nov 26, 2:00 PM (1 h)');
    expect(text(90)).toBe('Meeting scheduled: Lunch, Thu, Nov 26, 2:00 PM (1 h 30 min)');
  });
});
