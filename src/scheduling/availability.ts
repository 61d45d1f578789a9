import { type LocalDate, addDays, cachedFormatter, getZonedParts, parseHm, zonedTimeToUtc } from './tz';

/** Weekly working window in the user's zone. `days`: 0=Sun..6=Sat; times 'HH:MM' (24h). */
export interface WorkingHours {
  days: number[];
  start: string;
  end: string;
}

export const DEFAULT_WORKING_HOURS: WorkingHours = { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };

export interface Interval {
  start: Date;
  end: Date;
}

export interface Slot {
  /** ISO UTC */
  start: string;
  /** ISO UTC */
  end: string;
}

const MINUTE_MS = 60_000;

/**
 * The working window on one local date as UTC instants, or null on a non-working day.
 * Built per date from wall-clock times so DST days get their true (23h/25h-day) instants.
 */
function windowOn(date: LocalDate & { weekday: number }, wh: WorkingHours, timeZone: string): Interval | null {
  const from = parseHm(wh.start);
  const to = parseHm(wh.end);
  if (!from || !to || !wh.days.includes(date.weekday)) return null;
  const start = zonedTimeToUtc({ ...date, ...from }, timeZone);
  const end = zonedTimeToUtc({ ...date, ...to }, timeZone);
  // Overnight windows (end <= start) are not supported and count as no working time.
  return end > start ? { start, end } : null;
}

function localDateOf(instant: Date, timeZone: string): LocalDate & { weekday: number } {
  const p = getZonedParts(instant, timeZone);
  return { year: p.year, month: p.month, day: p.day, weekday: p.weekday };
}

/**
 * True when [start, end) lies inside the working window of the local day `start` falls on,
 * evaluated in `timeZone` (so 09:00 stays 09:00 across DST changes).
 */
export function isWithinWorkingHours(start: Date, end: Date, wh: WorkingHours, timeZone: string): boolean {
  const window = windowOn(localDateOf(start, timeZone), wh, timeZone);
  return window !== null && end > start && start >= window.start && end <= window.end;
}

const overlaps = (a: Interval, b: Interval): boolean => a.start < b.end && a.end > b.start;

export interface FindAlternativesInput {
  desiredStart: Date;
  durationMinutes: number;
  busy: Interval[];
  workingHours?: WorkingHours;
  timeZone: string;
  now: Date;
  count?: number;
  /** Candidate starts are on this grid, counted from the working-day start. */
  stepMinutes?: number;
  searchDays?: number;
}

/**
 * Nearest free slots of `durationMinutes` inside working hours, starting no earlier than `now`
 * and not overlapping `busy`. Slots on the desired local day come first, closest to the desired
 * time (earlier wins a tie); then later days in chronological order. Days before the desired
 * day are not searched.
 */
export function findAlternatives({
  desiredStart,
  durationMinutes,
  busy,
  workingHours = DEFAULT_WORKING_HOURS,
  timeZone,
  now,
  count = 3,
  stepMinutes = 30,
  searchDays = 14,
}: FindAlternativesInput): Slot[] {
  const lengthMs = durationMinutes * MINUTE_MS;
  const firstDay = localDateOf(desiredStart, timeZone);
  const result: Slot[] = [];

  for (let i = 0; i < searchDays && result.length < count; i++) {
    const window = windowOn(addDays(firstDay, i), workingHours, timeZone);
    if (!window) continue;
    const free: Interval[] = [];
    // Stepping in absolute time is safe: the window itself was computed in local time.
    for (let t = window.start.getTime(); t + lengthMs <= window.end.getTime(); t += stepMinutes * MINUTE_MS) {
      const slot = { start: new Date(t), end: new Date(t + lengthMs) };
      if (slot.start >= now && !busy.some((b) => overlaps(slot, b))) free.push(slot);
    }
    if (i === 0) {
      const distance = (s: Interval): number => Math.abs(s.start.getTime() - desiredStart.getTime());
      free.sort((a, b) => distance(a) - distance(b) || a.start.getTime() - b.start.getTime());
    }
    for (const s of free.slice(0, count - result.length)) {
      result.push({ start: s.start.toISOString(), end: s.end.toISOString() });
    }
  }
  return result;
}

/**
 * "Wed, Nov 25, 3:00 PM" in `timeZone` (en-US), for chat messages.
 * @throws RangeError when `timeZone` is not a valid IANA zone.
 */
export function formatLocal(date: Date, timeZone: string): string {
  const f = cachedFormatter('local', timeZone, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  // Some ICU builds (browsers, newer Node) put a narrow no-break space before AM/PM; keep chat text plain.
  return f.format(date).replace(/[\u202f\u00a0]/g, ' ');
}
