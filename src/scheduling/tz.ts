/**
 * Minimal IANA time-zone helpers built on Intl only, so results never depend on the
 * process's TZ and we carry no tz database dependency.
 */

/** A wall-clock date in some time zone; `month` is 1-12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** A wall-clock date and time in some time zone; `weekday` is 0=Sun..6=Sat. */
export interface LocalDateTime extends LocalDate {
  hour: number;
  minute: number;
  weekday: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

// Creating DateTimeFormat instances is expensive and availability search calls this in loops.
const formatters = new Map<string, Intl.DateTimeFormat>();

/** An en-US DateTimeFormat for `timeZone` with `options`, made once per zone and `kind`. */
export function cachedFormatter(kind: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
    formatters.set(key, f);
  }
  return f;
}

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  return cachedFormatter('parts', timeZone, {
    hourCycle: 'h23',
    weekday: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * Wall-clock fields of `date` in `timeZone`.
 * @throws RangeError when `timeZone` is not a valid IANA zone.
 */
export function getZonedParts(date: Date, timeZone: string): LocalDateTime & { second: number } {
  const out: Record<string, string> = {};
  for (const p of partsFormatter(timeZone).formatToParts(date)) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour),
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS.indexOf(out.weekday ?? ''),
  };
}

/** UTC offset of `timeZone` at `date`, in minutes east of UTC (New York winter = -300). */
export function getOffsetMinutes(timeZone: string, date: Date): number {
  const p = getZonedParts(date, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const truncated = Math.floor(date.getTime() / 1000) * 1000;
  return Math.round((asUtc - truncated) / MINUTE_MS);
}

/**
 * Converts a wall-clock time in `timeZone` to the UTC instant.
 * DST rules: a time inside a spring-forward gap moves forward by the gap (02:30 -> 03:30);
 * a time repeated by a fall-back transition resolves to the earlier instant.
 */
export function zonedTimeToUtc(local: LocalDate & { hour: number; minute: number }, timeZone: string): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // Offsets a day either side bracket any single transition near this wall time.
  const before = getOffsetMinutes(timeZone, new Date(wall - DAY_MS));
  const after = getOffsetMinutes(timeZone, new Date(wall + DAY_MS));
  const valid = [...new Set([before, after])]
    .map((off) => wall - off * MINUTE_MS)
    .filter((t) => wall - getOffsetMinutes(timeZone, new Date(t)) * MINUTE_MS === t);
  if (valid.length === 0) return new Date(wall - before * MINUTE_MS); // gap
  return new Date(Math.min(...valid));
}

/** Calendar arithmetic on a wall-clock date (no time zone involved). */
export function addDays(d: LocalDate, days: number): LocalDate & { weekday: number } {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    weekday: t.getUTCDay(),
  };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** 'YYYY-MM-DD'. */
export function formatYmd(d: LocalDate): string {
  return `${d.year}-${pad(d.month)}-${pad(d.day)}`;
}

/** 'HH:MM' (24h). */
export function formatHm(hour: number, minute: number): string {
  return `${pad(hour)}:${pad(minute)}`;
}

/** Parses 'YYYY-MM-DD'; returns null for anything else. */
export function parseYmd(s: string): LocalDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
}

/** Parses 'HH:MM' (24h) into minutes since midnight; returns null for anything else. */
export function parseHm(s: string): { hour: number; minute: number } | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  return hour <= 24 && minute < 60 ? { hour, minute } : null;
}
