import * as rruleModule from 'rrule';
import type { Options, RRule as RRuleInstance } from 'rrule';

// rrule's CommonJS entry is a UMD bundle whose names Node's ESM loader cannot see (tsx, the worker
// and the CLIs get only `default`), while bundlers and vitest read its ESM build: take RRule from
// whichever shape arrives.
type RRuleModule = typeof rruleModule;
const { RRule } = (rruleModule as RRuleModule & { default?: RRuleModule }).default ?? rruleModule;
type RRule = RRuleInstance;
import type { Extracted } from './text-extract';
import { type LocalDate, addDays, cachedFormatter, getZonedParts, zonedTimeToUtc } from './tz';

/**
 * Recurring meetings as RFC 5545 RRULEs ("FREQ=WEEKLY;BYDAY=MO"), expanded with the `rrule`
 * library. Rules are expanded on the wall clock of the meeting's zone ("every Monday at 9" stays
 * 09:00 across DST): occurrences are computed as floating times (wall-clock fields stored in a
 * UTC Date) and each one is converted with our DST-aware `zonedTimeToUtc`, so rrule's own time
 * zone handling (which depends on the host) is never used.
 */

/** What the text says about repetition, before a start is known. */
export interface RecurrenceParts {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY';
  interval: number;
  /** 0=Sun..6=Sat */
  byDay: number[];
  byMonthDay?: number;
  count?: number;
  /** Last day (inclusive) in the meeting's zone. */
  until?: LocalDate;
  /** A weekday was named, so the first occurrence is computed from today, not from a parsed date. */
  weekdayNamed: boolean;
}

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const RFC_DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const DAY = '(sunday|monday|tuesday|wednesday|thursday|friday|saturday)s?';
const HOLIDAYS: Record<string, [number, number]> = {
  christmas: [12, 25],
  'christmas eve': [12, 24],
  'new year': [12, 31],
  "new year's eve": [12, 31],
  'the end of the year': [12, 31],
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function blankAll(text: string, re: RegExp, onMatch: (m: RegExpExecArray) => void): string {
  let out = text;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    onMatch(m);
    out = out.slice(0, m.index) + ' '.repeat(m[0].length) + out.slice(m.index + m[0].length);
    if (!re.global) break;
  }
  return out;
}

/** "until Christmas", "until Dec 21", "until 12/21": the last day, in the year ahead of `today`. */
function untilDate(phrase: string, today: LocalDate): LocalDate | undefined {
  const lower = phrase.toLowerCase().trim();
  let md: [number, number] | undefined = HOLIDAYS[lower];
  const named = /^([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?$/.exec(lower);
  if (!md && named && MONTHS.includes(named[1]!)) md = [MONTHS.indexOf(named[1]!) + 1, Number(named[2])];
  const slash = /^(\d{1,2})\/(\d{1,2})$/.exec(lower);
  if (!md && slash) md = [Number(slash[1]), Number(slash[2])];
  if (!md) return undefined;
  const [month, day] = md;
  const thisYear = month > today.month || (month === today.month && day >= today.day);
  return { year: today.year + (thisYear ? 0 : 1), month, day };
}

/**
 * Finds "every Monday", "every other Thursday", "weekdays", "daily", "biweekly ... on Fridays",
 * "every month on the 15th", "until Christmas", "for 10 weeks"; blanks what it used.
 */
export function extractRecurrence(text: string, today: LocalDate): Extracted<RecurrenceParts | undefined> {
  let freq: RecurrenceParts['freq'] | undefined;
  let interval = 1;
  const byDay = new Set<number>();
  let byMonthDay: number | undefined;
  let count: number | undefined;
  let until: LocalDate | undefined;
  let rest = text;
  const days = (s: string): number[] => [...s.toLowerCase().matchAll(new RegExp(DAY, 'g'))].map((m) => DAY_NAMES.indexOf(m[1]!));

  rest = blankAll(rest, new RegExp(`\\bevery\\s+other\\s+(week|${DAY.slice(1, -3)})s?\\b`, 'gi'), (m) => {
    freq = 'WEEKLY';
    interval = 2;
    for (const d of days(m[0])) byDay.add(d);
  });
  rest = blankAll(rest, /\b(?:bi-?weekly|fortnightly|every\s+(?:two|2)\s+weeks)\b/gi, () => {
    freq = 'WEEKLY';
    interval = 2;
  });
  rest = blankAll(rest, /\b(?:every\s+week(?:day|\s*day)s?|weekdays|every\s+work(?:ing)?\s*day)\b/gi, () => {
    freq = 'WEEKLY';
    for (const d of [1, 2, 3, 4, 5]) byDay.add(d);
  });
  rest = blankAll(rest, new RegExp(`\\bevery\\s+${DAY}(?:\\s*(?:,|and|&)\\s*${DAY})*`, 'gi'), (m) => {
    freq = 'WEEKLY';
    for (const d of days(m[0])) byDay.add(d);
  });
  rest = blankAll(rest, /\b(?:every\s+week|weekly)\b/gi, () => {
    freq ??= 'WEEKLY';
  });
  rest = blankAll(rest, /\b(?:every\s+day|daily)\b/gi, () => {
    freq ??= 'DAILY';
  });
  rest = blankAll(rest, /\b(?:every\s+month|monthly)\b/gi, () => {
    freq = 'MONTHLY';
  });
  // "on Fridays": a plural weekday is a repetition by itself.
  rest = blankAll(rest, new RegExp(`\\b(?:on\\s+)?(sunday|monday|tuesday|wednesday|thursday|friday|saturday)s\\b`, 'gi'), (m) => {
    freq ??= 'WEEKLY';
    for (const d of days(m[0])) byDay.add(d);
  });
  if (!freq) return { value: undefined, rest: text };

  if (freq === 'WEEKLY' && byDay.size === 0) {
    // "every week on Tuesday": the weekday is named outside the "every" phrase.
    rest = blankAll(rest, new RegExp(`\\b(?:on\\s+)?${DAY}\\b`, 'i'), (m) => {
      for (const d of days(m[0])) byDay.add(d);
    });
  }
  if (freq === 'MONTHLY') {
    rest = blankAll(rest, /\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b/i, (m) => {
      byMonthDay = Number(m[1]);
    });
  }
  rest = blankAll(rest, /\bfor\s+(\d+|two|three|four|five|six|ten)\s+(weeks|times|occurrences|months|days)\b/i, (m) => {
    const n = { two: 2, three: 3, four: 4, five: 5, six: 6, ten: 10 }[m[1]!.toLowerCase()] ?? Number(m[1]);
    count = m[2]!.toLowerCase() === 'weeks' && byDay.size > 1 ? n * byDay.size : n;
  });
  rest = blankAll(
    rest,
    /\b(?:until|till|through|thru)\s+((?:the\s+end\s+of\s+the\s+year)|(?:christmas(?:\s+eve)?)|(?:new\s+year(?:'s)?(?:\s+eve)?)|(?:[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?)|(?:\d{1,2}\/\d{1,2}))/i,
    (m) => {
      until = untilDate(m[1]!, today);
    },
  );

  const value: RecurrenceParts = { freq, interval, byDay: [...byDay], weekdayNamed: byDay.size > 0 };
  if (byMonthDay !== undefined) value.byMonthDay = byMonthDay;
  if (count !== undefined) value.count = count;
  if (until) value.until = until;
  return { value, rest };
}

/** The RRULE body for `parts`, with UNTIL as the UTC instant ending its day in `timeZone` (RFC 5545 needs UTC there). */
export function buildRule(parts: RecurrenceParts, timeZone: string): string {
  const out = [`FREQ=${parts.freq}`];
  if (parts.interval > 1) out.push(`INTERVAL=${parts.interval}`);
  if (parts.byDay.length) {
    const monFirst = [...parts.byDay].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
    out.push(`BYDAY=${monFirst.map((d) => RFC_DAYS[d]).join(',')}`);
  }
  if (parts.byMonthDay !== undefined) out.push(`BYMONTHDAY=${parts.byMonthDay}`);
  if (parts.count !== undefined) out.push(`COUNT=${parts.count}`);
  if (parts.until) {
    const next = addDays(parts.until, 1);
    const end = new Date(
      zonedTimeToUtc({ year: next.year, month: next.month, day: next.day, hour: 0, minute: 0 }, timeZone).getTime() - 1000,
    );
    out.push(
      `UNTIL=${end
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '')}`,
    );
  }
  return out.join(';');
}

const floating = (instant: Date, timeZone: string): Date => {
  const p = getZonedParts(instant, timeZone);
  return new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second));
};
const fromFloating = (f: Date, timeZone: string): Date =>
  zonedTimeToUtc(
    { year: f.getUTCFullYear(), month: f.getUTCMonth() + 1, day: f.getUTCDate(), hour: f.getUTCHours(), minute: f.getUTCMinutes() },
    timeZone,
  );

function ruleFor(rule: string, dtstart: Date, timeZone: string): RRule {
  const options: Partial<Options> = RRule.parseString(rule);
  if (options.until) options.until = floating(options.until, timeZone);
  return new RRule({ ...options, dtstart: floating(dtstart, timeZone), tzid: null });
}

/** Whether `rule` parses as an RRULE we can expand. */
export function isValidRule(rule: string): boolean {
  try {
    RRule.parseString(rule);
    return /^FREQ=/.test(rule);
  } catch {
    return false;
  }
}

/** The first occurrence of `rule` from the wall-clock `anchor` that is not before `now`; undefined when none. */
export function firstOccurrence(rule: string, anchor: Date, now: Date, timeZone: string): Date | undefined {
  const r = ruleFor(rule, anchor, timeZone);
  const next = r.after(floating(new Date(Math.max(now.getTime(), anchor.getTime())), timeZone), true);
  return next ? fromFloating(next, timeZone) : undefined;
}

/**
 * Starts of the occurrences of a series (first one at `seriesStart`) that begin in [from, to),
 * excluding `excluded` (ISO starts of cancelled occurrences). At most `limit`.
 */
export function occurrencesBetween(input: {
  rule: string;
  seriesStart: Date;
  timeZone: string;
  from: Date;
  to: Date;
  excluded?: string[];
  limit?: number;
}): Date[] {
  const r = ruleFor(input.rule, input.seriesStart, input.timeZone);
  const excluded = new Set(input.excluded ?? []);
  const out: Date[] = [];
  // Floating bounds are widened by a day: the wall-clock/UTC difference is under a day.
  const lo = new Date(floating(input.from, input.timeZone).getTime() - 86_400_000);
  const hi = new Date(floating(input.to, input.timeZone).getTime() + 86_400_000);
  for (const f of r.between(lo, hi, true)) {
    const start = fromFloating(f, input.timeZone);
    if (start >= input.from && start < input.to && !excluded.has(start.toISOString())) out.push(start);
    if (out.length >= (input.limit ?? 500)) break;
  }
  return out;
}

/** "every Monday", "every other Thursday", "every weekday", "every day", "every month on the 15th" (for chat text). */
export function describeRule(rule: string, timeZone: string): string {
  const o = RRule.parseString(rule);
  const names = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const days = (o.byweekday ? (Array.isArray(o.byweekday) ? o.byweekday : [o.byweekday]) : []).map((d) =>
    typeof d === 'number' ? d : typeof d === 'string' ? 0 : d.weekday,
  );
  const every = o.interval && o.interval > 1 ? 'every other' : 'every';
  let text: string;
  if (o.freq === RRule.DAILY) text = 'every day';
  else if (o.freq === RRule.MONTHLY) text = `every month${o.bymonthday ? ` on day ${String(o.bymonthday)}` : ''}`;
  else if (days.length === 5 && [0, 1, 2, 3, 4].every((d) => days.includes(d))) text = `${every} weekday`;
  else if (days.length) text = `${every} ${days.map((d) => names[d]).join(' and ')}`;
  else text = o.interval && o.interval > 1 ? 'every other week' : 'every week';
  if (o.count) text += `, ${o.count} times`;
  if (o.until) text += ` until ${cachedFormatter('until', timeZone, { month: 'short', day: 'numeric' }).format(o.until)}`;
  return text;
}
