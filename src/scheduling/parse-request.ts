import * as chrono from 'chrono-node';
import { z } from 'zod';

import {
  DEFAULT_DURATION_MINUTES,
  FULL_WEEKDAYS,
  clampDuration,
  extractAttendees,
  extractDuration,
  extractExplicitZone,
  extractPhraseTitle,
  extractQuotedTitle,
  normalizeTypos,
} from './text-extract';
import { type LocalDate, formatHm, formatYmd, getOffsetMinutes, parseHm, parseYmd, zonedTimeToUtc } from './tz';

export const MISSING_REASONS = ['past', 'ambiguous-hour', 'week-without-day'] as const;

/**
 * Result of parsing one chat message. Validate persisted copies (e.g. a pending clarification
 * stored between turns) with {@link ParsedRequestSchema}.
 *
 * `date`/`time` keep whatever part of the start was understood even when `start` cannot be
 * built yet, so a follow-up answer can fill the gap. They are wall-clock values in
 * `explicitTimeZone` when set, otherwise in the user's time zone.
 */
export const ParsedRequestSchema = z.object({
  intent: z.enum(['schedule', 'cancel', 'unknown']),
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
  time: z
    .string()
    .regex(/^\d{2}:\d{2}$/)
    .optional(),
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
  const input = zone.rest.replace(new RegExp(`\\bnext week(?:\\s+on)?\\s+(${FULL_WEEKDAYS})\\b`, 'gi'), '$1 next week');
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
const SCHEDULE =
  /\b(?:book|schedule|set ?up|arrange|organi[sz]e|plan|meet(?:ing)?s?|calls?|sync|catch[ -]?up|chat|appointment|appt|reserve|invite|1:1|one[- ]on[- ]one|1-on-1|standup|interview|demo|lunch|coffee)\b/i;

function detectIntent(text: string, hasAttendees: boolean): Intent {
  if (CANCEL.test(text)) return 'cancel';
  if (SCHEDULE.test(text) || hasAttendees) return 'schedule';
  return 'unknown';
}

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
  /** What remains for date/time parsing. */
  rest: string;
}

/** Extracts title, duration and attendees, returning the leftover text for {@link parseWhen}. */
export function extractFacts(text: string): TextFacts {
  const quoted = extractQuotedTitle(text);
  const normalized = normalizeTypos(quoted.rest);
  const phrase = quoted.value ? { value: undefined, rest: normalized } : extractPhraseTitle(normalized);
  const duration = extractDuration(phrase.rest);
  const attendees = extractAttendees(duration.rest);
  const facts: TextFacts = { attendees: attendees.value, rest: attendees.rest };
  const title = quoted.value ?? phrase.value;
  if (title) facts.title = title;
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
 * Parses a scheduling chat message ("book 30 min with Dana tomorrow at 3pm",
 * "cancel my 3pm with Dana tomorrow") in the user's time zone.
 * Unrecognised messages return `intent: 'unknown'` with nothing missing.
 * @throws RangeError when `opts.timeZone` is not a valid IANA zone.
 */
export function parseSchedulingRequest(text: string, opts: ParseOptions): ParsedRequest {
  const facts = extractFacts(text);
  const intent = detectIntent(facts.rest, facts.attendees.length > 0);
  const base = {
    durationMinutes: facts.durationMinutes ?? DEFAULT_DURATION_MINUTES,
    attendees: facts.attendees,
    title: facts.title ?? deriveTitle(facts.attendees),
  };
  if (intent === 'unknown') return { intent, ...base, missing: [] };

  const when = parseWhen(facts.rest, opts);
  if (facts.durationMinutes === undefined && when.rangeMinutes) base.durationMinutes = when.rangeMinutes;
  return buildRequest({ intent, ...base, ...whenToDraft(when) }, opts);
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
