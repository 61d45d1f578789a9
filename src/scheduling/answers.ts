import {
  type ParseOptions,
  type ParsedRequest,
  buildRequest,
  deriveTitle,
  draftFromParsed,
  extractFacts,
  parseWhen,
  whenToDraft,
} from './parse-request';
import { FULL_WEEKDAYS } from './text-extract';
import { getZonedParts } from './tz';

const ORDINALS: Record<string, number> = {
  first: 0,
  '1st': 0,
  one: 0,
  second: 1,
  '2nd': 1,
  two: 1,
  third: 2,
  '3rd': 2,
  three: 2,
  fourth: 3,
  '4th': 3,
  four: 3,
  fifth: 4,
  '5th': 4,
  five: 4,
};

const WEEKDAY_WORD = new RegExp(`\\b(${FULL_WEEKDAYS})\\b`, 'i');

const NEGATION = /\b(?:none|neither|nope|not|don'?t|doesn'?t|can'?t|cannot|won'?t|other)\b/i;

function byNumberOrOrdinal(text: string, count: number): number | null | undefined {
  const explicit = /(?:#|\b(?:option|number|no\.|choice|slot)\s*#?)\s*(\d+|one|two|three|four|five)\b/i.exec(text);
  // A message that is only a number ("2", "ok 2.") picks by position, never by hour.
  const bare = /^\s*(?:ok(?:ay)?,?\s+)?(?:the\s+)?(\d+)\s*[.!]?\s*$/i.exec(text);
  const ordinal = /\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final)\b/i.exec(text);
  const token = explicit?.[1] ?? bare?.[1] ?? ordinal?.[1];
  if (token === undefined) return undefined;
  const lower = token.toLowerCase();
  const index = lower === 'last' || lower === 'final' ? count - 1 : (ORDINALS[lower] ?? Number(token) - 1);
  return index >= 0 && index < count ? index : null;
}

/**
 * Which of the offered alternatives the user picked: by position ("the second one", "2", "#2",
 * "option 3", "last") or by local time of day ("3:30 works", "ok 4pm", "Thursday at 10am").
 * Returns null when nothing matches, when the reply is a refusal ("none of them"), or when a
 * time matches several alternatives and no day disambiguates it.
 * A time without am/pm matches either half of the day.
 */
export function parseAlternativeChoice(text: string, alternatives: { start: string; end: string }[], opts: ParseOptions): number | null {
  if (alternatives.length === 0 || NEGATION.test(text)) return null;
  const positional = byNumberOrOrdinal(text, alternatives.length);
  if (positional !== undefined) return positional;

  const when = parseWhen(extractFacts(text).rest, opts);
  if (!when.clock) return null;
  const { hour, minute, meridiemKnown } = when.clock;
  const matches = alternatives.flatMap((alt, i) => {
    const p = getZonedParts(new Date(alt.start), when.zone ?? opts.timeZone);
    const sameHour = meridiemKnown ? p.hour === hour : p.hour % 12 === hour % 12;
    const sameDay = !when.date || (p.year === when.date.year && p.month === when.date.month && p.day === when.date.day);
    return sameHour && p.minute === minute && sameDay ? [i] : [];
  });
  return matches.length === 1 ? (matches[0] ?? null) : null;
}

/**
 * Combines a previous parse that had `missing` parts with the user's answer ("tomorrow",
 * "at 3pm", "Friday at 10"). Date/time in the answer win over the previous ones; attendees and
 * title are kept from before (attendees from the answer are used only when there were none);
 * the duration is kept unless the answer states one. A bare number answer ("10") is read as
 * a time of day.
 */
export function mergeClarification(previous: ParsedRequest, answerText: string, opts: ParseOptions): ParsedRequest {
  const answer = /^\s*\d{1,2}(?::\d{2})?\s*$/.test(answerText) ? `at ${answerText.trim()}` : answerText;
  const facts = extractFacts(answer);
  // We asked "which day next week?", so a bare weekday means that week, not this one.
  const rest =
    previous.reason === 'week-without-day' && !/\b(?:next|this|week)\b/i.test(facts.rest)
      ? facts.rest.replace(WEEKDAY_WORD, '$1 next week')
      : facts.rest;
  const when = whenToDraft(parseWhen(rest, opts));
  const attendees = previous.attendees.length ? previous.attendees : facts.attendees;
  // A derived title follows the attendee list; a title the user chose is kept.
  const titleWasDerived = previous.title === deriveTitle(previous.attendees);
  const title = facts.title ?? (titleWasDerived ? deriveTitle(attendees) : previous.title);
  const before = draftFromParsed(previous);

  return buildRequest(
    {
      intent: previous.intent,
      ...before,
      ...when,
      // An explicit zone from before must not leak onto a time the answer states in local terms.
      ...(when.clock && !when.zone ? { zone: undefined } : {}),
      durationMinutes: facts.durationMinutes ?? previous.durationMinutes,
      attendees,
      title,
    },
    opts,
  );
}
