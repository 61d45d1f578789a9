/**
 * The request language (over 300 lines: the intents share the date/time reading and its rules,
 * which must not drift apart between files).
 */
import * as chrono from 'chrono-node';
import { z } from 'zod';

import { buildRule, extractRecurrence, firstOccurrence, type RecurrenceParts } from './recurrence';
import {
  DEFAULT_DURATION_MINUTES,
  extractSubject,
  leftoverPhrases,
  FULL_WEEKDAYS,
  clampDuration,
  extractAttendees,
  extractDuration,
  extractExplicitZone,
  extractPhraseTitle,
  extractQuotedTitle,
  normalizeTypos,
} from './text-extract';
import { type LocalDate, addDays, formatHm, getZonedParts, formatYmd, getOffsetMinutes, parseHm, parseYmd, zonedTimeToUtc } from './tz';

export const MISSING_REASONS = ['past', 'ambiguous-hour', 'week-without-day'] as const;

/**
 * Result of parsing one chat message. Validate persisted copies (e.g. a pending clarification
 * stored between turns) with {@link ParsedRequestSchema}.
 *
 * `date`/`time` keep whatever part of the start was understood even when `start` cannot be
 * built yet, so a follow-up answer can fill the gap. They are wall-clock values in
 * `explicitTimeZone` when set, otherwise in the user's time zone.
 */
const Ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const Hm = z.string().regex(/^\d{2}:\d{2}$/);

export const ParsedRequestSchema = z.object({
  intent: z.enum(['schedule', 'cancel', 'reschedule', 'agenda', 'availability', 'clear', 'unknown']),
  /** ISO UTC; present only when both date and time are known and in the future. */
  start: z.iso.datetime().optional(),
  durationMinutes: z.number().int().min(5).max(480),
  attendees: z.array(z.string()),
  title: z.string(),
  missing: z.array(z.enum(['date', 'time'])),
  /** Why something is missing when it was mentioned but unusable. */
  reason: z.enum(MISSING_REASONS).optional(),
  /** IANA zone named in the text ("3pm EST" -> "America/New_York"); overrides the user's zone. */
  explicitTimeZone: z.string().optional(),
  /** 'YYYY-MM-DD' */
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  /** 'HH:MM' 24h */
  time: Hm.optional(),
  /** RFC 5545 RRULE body of a recurring meeting ("FREQ=WEEKLY;BYDAY=MO"); `start` is its first occurrence. */
  recurrence: z.string().optional(),
  /** Part of a day to search ("tomorrow afternoon"), wall-clock 'HH:MM' in the user's zone. */
  window: z.object({ from: Hm, to: Hm }).optional(),
  /** Days an agenda question covers, inclusive. */
  range: z.object({ from: Ymd, to: Ymd }).optional(),
  /** The meeting a reschedule moves (its new date/time are `date`/`time`). */
  target: z
    .object({ date: Ymd.optional(), time: Hm.optional(), attendees: z.array(z.string()), subject: z.string().optional() })
    .optional(),
  /** Move by this many minutes ("30 minutes later" = 30, "an hour earlier" = -60). */
  shiftMinutes: z.number().int().optional(),
  /** For a recurring meeting: cancel (or move) one occurrence or the whole series. */
  scope: z.enum(['occurrence', 'series']).optional(),
  /** The kind of meeting named ("standup", "lunch"), matched against titles. */
  subject: z.string().optional(),
  /** "find ... time": book the first free slot of the window. */
  find: z.boolean().optional(),
  /** Parts of the text the agent did not use, said back to the user. */
  ignored: z.array(z.string()).optional(),
});

export type ParsedRequest = z.infer<typeof ParsedRequestSchema>;
export type Intent = ParsedRequest['intent'];
export type MissingReason = (typeof MISSING_REASONS)[number];

export interface ParseOptions {
  now: Date;
  /** The user's IANA time zone, e.g. 'America/New_York'. */
  timeZone: string;
}

/** A clock time as read from text, before the am/pm ambiguity rule is applied. */
export interface RawClock {
  hour: number;
  minute: number;
  /** false for "at 3", true for "3pm", "15:00", "09:00", "noon". */
  meridiemKnown: boolean;
}

/** Date/time facts found in a piece of text. */
export interface WhenParts {
  date?: LocalDate;
  clock?: RawClock;
  zone?: string;
  /** "next week" with no weekday: the user must pick a day. */
  weekWithoutDay: boolean;
  /** Length of a "3-4pm" style range, in minutes. */
  rangeMinutes?: number;
}

/**
 * Reads the date/time part of already-normalised text with chrono, anchored at `now` in the
 * user's zone. Chrono's own instants are never used: we take the wall-clock components and
 * convert them with our DST-aware helper, because chrono applies one fixed offset (the one at
 * `now`) to every date it produces.
 */
export function parseWhen(text: string, opts: ParseOptions): WhenParts {
  const zone = extractExplicitZone(text);
  // chrono reads "next week on Tuesday" as two unrelated results; "Tuesday next week" as one.
  const input = nthOfMonth(zone.rest, opts).replace(new RegExp(`\\bnext week(?:\\s+on)?\\s+(${FULL_WEEKDAYS})\\b`, 'gi'), '$1 next week');
  const results = chrono.parse(input, { instant: opts.now, timezone: getOffsetMinutes(opts.timeZone, opts.now) }, { forwardDate: true });

  const parts: WhenParts = { weekWithoutDay: false };
  if (zone.value) parts.zone = zone.value;
  for (const r of results) {
    const c = r.start;
    if (!parts.date && (c.isCertain('day') || c.isCertain('weekday'))) {
      if (/\bnext week\b/i.test(r.text) && !c.isCertain('weekday')) parts.weekWithoutDay = true;
      else parts.date = { year: c.get('year') ?? 0, month: c.get('month') ?? 0, day: c.get('day') ?? 0 };
    }
    // Only a stated hour counts: chrono merely implies one for "tomorrow morning" or "tonight".
    if (!parts.clock && c.isCertain('hour')) readClock(r, parts);
  }
  return parts;
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "the 14th" (which chrono misses) -> "December 14": this month's when still ahead, else next month's. */
function nthOfMonth(text: string, opts: ParseOptions): string {
  return text.replace(/\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+of\b)/gi, (whole, n: string) => {
    const day = Number(n);
    if (day < 1 || day > 31) return whole;
    const today = getZonedParts(opts.now, opts.timeZone);
    const month = day >= today.day ? today.month : (today.month % 12) + 1;
    return `${MONTH_NAMES[month - 1]} ${day}`;
  });
}

function readClock(r: chrono.ParsedResult, parts: WhenParts): void {
  const c = r.start;
  let hour = c.get('hour') ?? 0;
  const minute = c.get('minute') ?? 0;
  const end = r.end?.isCertain('hour') ? r.end : undefined;
  const endKnown = end?.isCertain('meridiem') ?? false;
  const meridiemKnown = c.isCertain('meridiem') || hour === 0 || hour >= 12 || /\b0\d:\d\d/.test(r.text) || endKnown;
  if (end) {
    const endMinutes = (end.get('hour') ?? 0) * 60 + (end.get('minute') ?? 0);
    // chrono copies "pm" from the end onto the start even when that inverts "11-1pm".
    if (!c.isCertain('meridiem') && hour >= 12 && hour * 60 + minute >= endMinutes) hour -= 12;
    const length = endMinutes - (hour * 60 + minute);
    if (length > 0) parts.rangeMinutes = length;
  }
  parts.clock = { hour, minute, meridiemKnown };
}

/**
 * Ambiguity rule for hours without am/pm: 1-6 could be either and must be asked;
 * 7-11 are mornings; 12 is noon. Explicit am/pm, 24h ("15:00") or a leading zero ("06:00")
 * are taken literally.
 */
export function resolveClock(clock: RawClock): { hour: number; minute: number } | 'ambiguous' {
  if (!clock.meridiemKnown && clock.hour >= 1 && clock.hour <= 6) return 'ambiguous';
  return { hour: clock.hour, minute: clock.minute };
}

const CANCEL = /\b(?:cancel(?:l?ed)?|call off|calling off)\b/i;
/** "clear my afternoon", "free up my Friday afternoon", "cancel everything this afternoon", "wipe my evening". */
const CLEAR =
  /^\s*(?:(?:please|pls|can you|could you)\s+)?(?:clear|free up|wipe|empty)\b(?!\s+(?:that|this|it)\b)|\bcancel (?:everything|all (?:my )?(?:meetings|of it))\b/i;
const SCHEDULE =
  /\b(?:book|schedule|set ?up|set\s+\w+\s+up|arrange|organi[sz]e|plan|meet(?:ing)?s?|calls?|sync|catch[ -]?up|chat|appointment|appt|reserve|invite|1:1|one[- ]on[- ]one|1-on-1|standup|interview|demo|lunch|coffee|find)\b/i;
const RESCHEDULE_LEAD =
  /^\s*(?:(?:please|pls|hey|ok|so)[\s,]+)?(?:(?:can|could|would) you\s+(?:please\s+)?|i (?:need|want|have) to\s+|let'?s\s+)?(?:move|reschedule|re-schedule|rebook|push|postpone|delay|shift|bring|change)\b/i;
const AGENDA = [
  /\bwhat(?:'?s| is| meetings)\b.*\b(?:calendar|schedule|agenda|on|have|coming up|got)\b/i,
  /\bwhat (?:do|have) (?:i|we) (?:have|got)\b/i,
  /\b(?:show|list|give)\b.*\b(?:meetings|calendar|schedule|agenda|events)\b/i,
  /^\s*(?:my\s+)?agenda\b/i,
  /\bhow (?:does|do|is|'s) my\b.*\blook/i,
  /\banything on my (?:calendar|schedule)\b/i,
];
const AVAILABILITY = [
  /\b(?:am|are) (?:i|we) (?:free|busy|available|booked)\b/i,
  /\bwhen (?:am|are) (?:i|we) (?:free|available)\b/i,
  /\bdo (?:i|we) have (?:any )?(?:time|free time|a free|room)\b/i,
  /\b(?:any|some) free time\b/i,
  /^\s*is\b.*\b(?:free|open|available)\s*\??\s*$/i,
];
const WEATHER_LIKE = /\b(?:weather|news|time is it)\b/i;

/** What the message asks for, from its verbs (before anything is blanked). */
function detectIntent(text: string): Intent | undefined {
  if (WEATHER_LIKE.test(text)) return 'unknown';
  if (AVAILABILITY.some((re) => re.test(text))) return 'availability';
  if (AGENDA.some((re) => re.test(text)) && !SCHEDULE_VERB.test(text)) return 'agenda';
  if (CLEAR.test(text)) return 'clear';
  if (CANCEL.test(text)) return 'cancel';
  if (RESCHEDULE_LEAD.test(text)) return 'reschedule';
  return undefined;
}
const SCHEDULE_VERB = /\b(?:book|(?<!my )schedule|set ?up|arrange|find)\b/i;

/** "Meeting with Dana", "Meeting with Dana and Lee", "Meeting with Dana, Lee and Sam", "Meeting". */
export function deriveTitle(attendees: string[]): string {
  if (attendees.length === 0) return 'Meeting';
  const last = attendees[attendees.length - 1];
  const list = attendees.length === 1 ? last : `${attendees.slice(0, -1).join(', ')} and ${last}`;
  return `Meeting with ${list}`;
}

/** Everything except the date/time, pulled out of the text in an order that avoids clashes. */
export interface TextFacts {
  title?: string;
  durationMinutes?: number;
  attendees: string[];
  subject?: string;
  recurrence?: RecurrenceParts;
  /** What remains for date/time parsing. */
  rest: string;
  /** The text `rest` was blanked from (normalised, same length), for finding what was left unused. */
  base: string;
}

/** Extracts title, duration and attendees, returning the leftover text for {@link parseWhen}. */
export function extractFacts(text: string, today?: LocalDate): TextFacts {
  const quoted = extractQuotedTitle(text);
  const normalized = normalizeTypos(quoted.rest);
  // Repetition is only read in a request (it needs today's date), never in an answer.
  const recurrence = today ? extractRecurrence(normalized, today) : { value: undefined, rest: normalized };
  const phrase = quoted.value ? { value: undefined, rest: recurrence.rest } : extractPhraseTitle(recurrence.rest);
  const duration = extractDuration(phrase.rest);
  const subject = extractSubject(duration.rest);
  const attendees = extractAttendees(subject.rest);
  const facts: TextFacts = { attendees: attendees.value, rest: attendees.rest, base: normalized };
  const s = subject.value;
  const named =
    s && (s.withFollows && attendees.value.length ? `${s.title} ${deriveTitle(attendees.value).replace(/^Meeting /, '')}` : s.title);
  const title = quoted.value ?? phrase.value ?? named;
  if (title) facts.title = title;
  if (s?.subject) facts.subject = s.subject;
  if (recurrence.value) facts.recurrence = recurrence.value;
  if (duration.value !== undefined) facts.durationMinutes = duration.value;
  return facts;
}

/** Inputs for {@link buildRequest}: what is known, from one message or merged from several. */
export interface RequestDraft {
  intent: Intent;
  date?: LocalDate;
  clock?: RawClock;
  zone?: string;
  weekWithoutDay: boolean;
  durationMinutes: number;
  attendees: string[];
  title: string;
}

/** Applies the ambiguity and past-time rules and computes `start`/`missing`. */
export function buildRequest(d: RequestDraft, opts: ParseOptions): ParsedRequest {
  const out: ParsedRequest = {
    intent: d.intent,
    durationMinutes: clampDuration(d.durationMinutes),
    attendees: d.attendees,
    title: d.title,
    missing: [],
  };
  if (d.zone) out.explicitTimeZone = d.zone;
  let reason: MissingReason | undefined = d.weekWithoutDay ? 'week-without-day' : undefined;
  let date = d.weekWithoutDay ? undefined : d.date;
  const clock = d.clock ? resolveClock(d.clock) : undefined;
  const time = clock === 'ambiguous' ? undefined : clock;
  if (clock === 'ambiguous') reason ??= 'ambiguous-hour';

  if (date && time) {
    const start = zonedTimeToUtc({ ...date, ...time }, d.zone ?? opts.timeZone);
    if (start.getTime() < opts.now.getTime()) {
      // Keep the time so that "tomorrow" as an answer completes it; the date is what was wrong.
      date = undefined;
      reason ??= 'past';
    } else {
      out.start = start.toISOString();
    }
  }
  if (date) out.date = formatYmd(date);
  if (time) out.time = formatHm(time.hour, time.minute);
  if (!date) out.missing.push('date');
  if (!time) out.missing.push('time');
  if (reason) out.reason = reason;
  return out;
}

/**
 * Parses a scheduling chat message in the user's time zone: a booking ("book 30 min with Dana
 * tomorrow at 3pm", "standup every Monday at 9"), a cancel ("cancel my 3pm with Dana tomorrow"),
 * a move ("push the standup 30 minutes later"), or a question about the calendar ("what's on my
 * calendar this week?", "am I free Friday at 3?").
 * Unrecognised messages return `intent: 'unknown'` with nothing missing.
 * @throws RangeError when `opts.timeZone` is not a valid IANA zone.
 */
export function parseSchedulingRequest(text: string, opts: ParseOptions): ParsedRequest {
  const normalized = normalizeTypos(text);
  const early = detectIntent(normalized);
  if (early === 'agenda') return parseAgenda(normalized, opts);
  if (early === 'availability') return parseAvailability(normalized, opts);
  if (early === 'reschedule') return parseReschedule(normalized, opts);
  if (early === 'clear') return parseClear(normalized, opts);
  if (early === 'unknown')
    return { intent: 'unknown', durationMinutes: DEFAULT_DURATION_MINUTES, attendees: [], title: 'Meeting', missing: [] };

  const today = localToday(opts);
  const facts = extractFacts(text, today);
  const intent: Intent =
    early ??
    (SCHEDULE.test(facts.rest) || facts.attendees.length > 0 || facts.subject || facts.recurrence || facts.title ? 'schedule' : 'unknown');
  const base = {
    durationMinutes: facts.durationMinutes ?? DEFAULT_DURATION_MINUTES,
    attendees: facts.attendees,
    title: facts.title ?? deriveTitle(facts.attendees),
  };
  if (intent === 'unknown') return { intent, ...base, missing: [] };

  const when = parseWhen(facts.rest, opts);
  if (facts.durationMinutes === undefined && when.rangeMinutes) base.durationMinutes = when.rangeMinutes;
  const out = buildRequest({ intent, ...base, ...whenToDraft(when) }, opts);
  if (facts.subject) out.subject = facts.subject;
  if (intent === 'cancel') {
    if (facts.recurrence || /\b(?:series|all|every)\b/i.test(normalized)) out.scope = 'series';
    else if (out.date) out.scope = facts.subject ? 'occurrence' : undefined;
    if (!out.scope) delete out.scope;
    return out;
  }
  if (/\bfind\b/i.test(normalized)) {
    out.find = true;
    const window = partOfDay(normalized);
    if (window) out.window = window;
  }
  if (facts.recurrence) applyRecurrence(out, facts.recurrence, when, opts);
  const ignored = leftoverPhrases(extractExplicitZone(facts.rest).rest, facts.base);
  if (ignored.length) out.ignored = ignored;
  return out;
}

function localToday(opts: ParseOptions): LocalDate & { weekday: number } {
  const p = getZonedParts(opts.now, opts.timeZone);
  return { year: p.year, month: p.month, day: p.day, weekday: p.weekday };
}

/** The first occurrence becomes `start`; the rule is stored with it. A named weekday is counted from today. */
function applyRecurrence(out: ParsedRequest, parts: RecurrenceParts, when: WhenParts, opts: ParseOptions): void {
  const zone = out.explicitTimeZone ?? opts.timeZone;
  const rule = buildRule(parts, zone);
  out.recurrence = rule;
  if (!out.time) return;
  const hm = parseHm(out.time)!;
  const anchorDay = !parts.weekdayNamed && when.date ? when.date : localToday(opts);
  const anchor = zonedTimeToUtc({ ...anchorDay, ...hm }, zone);
  const first = firstOccurrence(rule, anchor, opts.now, zone);
  if (!first) return;
  const local = getZonedParts(first, zone);
  out.start = first.toISOString();
  out.date = formatYmd(local);
  out.missing = [];
  delete out.reason;
}

const WINDOWS: Record<string, { from: string; to: string }> = {
  morning: { from: '09:00', to: '12:00' },
  afternoon: { from: '12:00', to: '17:00' },
  evening: { from: '17:00', to: '21:00' },
  tonight: { from: '17:00', to: '21:00' },
};

function partOfDay(text: string): { from: string; to: string } | undefined {
  const m = /\b(morning|afternoon|evening|tonight)\b/i.exec(text);
  return m ? WINDOWS[m[1]!.toLowerCase()] : undefined;
}

/** An hour without am/pm in a question or a move is read in the working day: 1-6 is afternoon. */
function clockInWorkingDay(clock: RawClock | undefined): { hour: number; minute: number } | undefined {
  if (!clock) return undefined;
  const r = resolveClock(clock);
  return r === 'ambiguous' ? { hour: clock.hour + 12, minute: clock.minute } : r;
}

const QUESTION_DEFAULTS = { durationMinutes: DEFAULT_DURATION_MINUTES, attendees: [], title: 'Meeting' };

/** "what's on my calendar this week?", "how does my Tuesday look?", "what's coming up?" */
function parseAgenda(text: string, opts: ParseOptions): ParsedRequest {
  const today = localToday(opts);
  const monday = addDays(today, -((today.weekday + 6) % 7));
  let from: LocalDate = today;
  let to: LocalDate = addDays(today, 6);
  if (/\bthis week\b/i.test(text)) [from, to] = [monday, addDays(monday, 6)];
  else if (/\bnext week\b/i.test(text)) [from, to] = [addDays(monday, 7), addDays(monday, 13)];
  else {
    const when = parseWhen(text, opts);
    if (when.date) [from, to] = [when.date, when.date];
    else if (/\b(?:today|tonight)\b/i.test(text)) [from, to] = [today, today];
  }
  return { intent: 'agenda', ...QUESTION_DEFAULTS, missing: [], range: { from: formatYmd(from), to: formatYmd(to) } };
}

/** "am I free Friday at 3?", "when am I free tomorrow afternoon?" */
function parseAvailability(text: string, opts: ParseOptions): ParsedRequest {
  const duration = extractDuration(text);
  const when = parseWhen(duration.rest, opts);
  const date = when.date ?? localToday(opts);
  const time = clockInWorkingDay(when.clock);
  const zone = when.zone ?? opts.timeZone;
  const out: ParsedRequest = {
    intent: 'availability',
    ...QUESTION_DEFAULTS,
    durationMinutes: duration.value ?? DEFAULT_DURATION_MINUTES,
    missing: time ? [] : ['time'],
    date: formatYmd(date),
  };
  if (when.zone) out.explicitTimeZone = when.zone;
  if (time) {
    out.time = formatHm(time.hour, time.minute);
    out.start = zonedTimeToUtc({ ...date, ...time }, zone).toISOString();
  }
  const window = partOfDay(text);
  if (window && !time) out.window = window;
  return out;
}

/** "clear my afternoon (tomorrow)": the day (default today) and part of it (default all of it). */
function parseClear(text: string, opts: ParseOptions): ParsedRequest {
  const when = parseWhen(
    text.replace(/\b(?:morning|afternoon|evening|tonight)\b/gi, (m) => ' '.repeat(m.length)),
    opts,
  );
  const out: ParsedRequest = { intent: 'clear', ...QUESTION_DEFAULTS, missing: [], date: formatYmd(when.date ?? localToday(opts)) };
  const window = partOfDay(text);
  if (window) out.window = window;
  return out;
}

const SHIFT_LATER = /\b(?:later|back|delay|postpone)\b/i;
const SHIFT_EARLIER = /\b(?:earlier|forward|sooner)\b/i;

/** "move my 3pm with Dana to Friday", "push the standup 30 minutes later", "reschedule my 2pm with Lee to 4pm". */
function parseReschedule(text: string, opts: ParseOptions): ParsedRequest {
  const lead = RESCHEDULE_LEAD.exec(text)!;
  let body = ' '.repeat(lead[0].length) + text.slice(lead[0].length);
  const out: ParsedRequest = { intent: 'reschedule', ...QUESTION_DEFAULTS, missing: [] };
  // "only"/"just" pick one occurrence, "all"/"every" the series; both words are then used up.
  let scope: ParsedRequest['scope'];
  body = body.replace(/\b(?:only|just)\b/i, (m) => {
    scope = 'occurrence';
    return ' '.repeat(m.length);
  });
  body = body.replace(/\b(?:all(?: of)?(?: my| the)?|every|each|the whole(?: series of)?)\b|\bseries\b/gi, (m) => {
    scope = 'series';
    return ' '.repeat(m.length);
  });
  const ignored: string[] = [];

  const duration = extractDuration(body.replace(/\bby\s+(?=\S)/i, (m) => ' '.repeat(m.length)));
  const later = SHIFT_LATER.exec(body);
  const earlier = SHIFT_EARLIER.exec(body);
  let targetText = body;
  if (duration.value !== undefined && (later || earlier)) {
    out.shiftMinutes = later ? duration.value : -duration.value;
    targetText = duration.rest.replace(later ? SHIFT_LATER : SHIFT_EARLIER, (m) => ' '.repeat(m.length)).replace(/\bby\b/i, '  ');
  } else {
    body = body.replace(/\b(?:back|forward)\b/i, (m) => ' '.repeat(m.length));
    const to = [...body.matchAll(/\bto\b/gi)].at(-1);
    targetText = to ? body.slice(0, to.index) : body;
    const newText = to ? body.slice(to.index + 2) : '';
    const when = parseWhen(newText, opts);
    const time = clockInWorkingDay(when.clock);
    if (when.date) out.date = formatYmd(when.date);
    if (time) out.time = formatHm(time.hour, time.minute);
    if (when.zone) out.explicitTimeZone = when.zone;
    if (when.date && time) {
      const start = zonedTimeToUtc({ ...when.date, ...time }, when.zone ?? opts.timeZone);
      if (start >= opts.now) out.start = start.toISOString();
    }
    if (!out.date && !out.time) out.missing = ['date', 'time'];
    ignored.push(...leftoverPhrases(extractExplicitZone(newText).rest, newText));
  }

  const facts = extractFacts(targetText);
  const when = parseWhen(facts.rest, opts);
  const time = clockInWorkingDay(when.clock);
  out.target = { attendees: facts.attendees };
  if (when.date) out.target.date = formatYmd(when.date);
  if (time) out.target.time = formatHm(time.hour, time.minute);
  if (facts.subject) out.target.subject = facts.subject;
  // A day named with a kind of meeting ("the standup on Monday") is one occurrence of it.
  scope ??= out.target.date && facts.subject ? 'occurrence' : undefined;
  if (scope) out.scope = scope;
  ignored.push(...leftoverPhrases(facts.rest, facts.base));
  if (ignored.length) out.ignored = ignored;
  return out;
}

/** The date/time fields of a draft, leaving absent values out (not `undefined`). */
export function whenToDraft(w: WhenParts): Pick<RequestDraft, 'date' | 'clock' | 'zone' | 'weekWithoutDay'> {
  return {
    weekWithoutDay: w.weekWithoutDay,
    ...(w.date && { date: w.date }),
    ...(w.clock && { clock: w.clock }),
    ...(w.zone && { zone: w.zone }),
  };
}

/** Recovers the draft date/time of a previous result (its `date`/`time` strings). */
export function draftFromParsed(p: ParsedRequest): Pick<RequestDraft, 'date' | 'clock' | 'zone'> {
  const date = p.date ? parseYmd(p.date) : null;
  const hm = p.time ? parseHm(p.time) : null;
  return {
    ...(date && { date }),
    // A stored time already passed the ambiguity rule, so it counts as unambiguous.
    ...(hm && { clock: { ...hm, meridiemKnown: true } }),
    ...(p.explicitTimeZone && { zone: p.explicitTimeZone }),
  };
}
