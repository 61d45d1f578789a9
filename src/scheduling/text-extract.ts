/**
 * Chrono-free text extractors (longer than 300 lines: one file keeps every word list the parser
 * relies on side by side, so a word never means two things in two files).
 *
 * Each returns the value it found plus the text with that
 * span blanked out, so later stages (and chrono) never see e.g. a duration "for 30 minutes"
 * (which chrono reads as "now + 30 min") or a name like "June" (which it reads as a month).
 */

export interface Extracted<T> {
  value: T;
  rest: string;
}

const TYPOS: Array<[RegExp, string]> = [
  // Chat shorthand first, so the rules below see whole words.
  [/(^|\s)w\/\s*/gi, '$1with '],
  [/(^|\s)@\s*(?=\d|noon)/gi, '$1at '],
  [/\b(?:mtg|mtng)\b/gi, 'meeting'],
  [/\b(?:pls|plz|plse)\b/gi, 'please'],
  [/\bnxt\b/gi, 'next'],
  [/\b(?:tues?)\b/gi, 'tuesday'],
  [/\bmon\b(?=\s*(?:at|@|\d|morning|afternoon|evening|$))/gi, 'monday'],
  [/\b(?:stand-?ups?|stand ups?)\b/gi, 'standup'],
  // "tomorrow's 10am", "Monday's standup": the possessive is noise for every later stage.
  [/\b(today|tomorrow|tonight|tmrw|monday|tuesday|wednesday|thursday|friday|saturday|sunday)'s\b/gi, '$1'],
  [/\b(?:tomm?orr?ow|tomm?or+w|tomoro|tmrw?|tmrrw|2mor+ow|2moro)\b/gi, 'tomorrow'],
  [/\b(?:tdy|tody|todya)\b/gi, 'today'],
  [/\b2moro\b/gi, 'tomorrow'],
  [/\b(?:mnday|monady)\b/gi, 'monday'],
  [/\b(?:tuesay|tusday|teusday|tuseday)\b/gi, 'tuesday'],
  [/\b(?:wednsday|wensday|wendesday|wedensday|wednesdy|weds)\b/gi, 'wednesday'],
  [/\b(?:thrusday|thursdy|thurday|thursay|thrusdy|thurs?)\b/gi, 'thursday'],
  [/\b(?:firday|fridy|frday|fri)\b/gi, 'friday'],
  [/\b(?:satruday|saterday|saturdy)\b/gi, 'saturday'],
  [/\b(?:sundy|snday)\b/gi, 'sunday'],
  [/\b(?:shedule|schedual|scedule|schedlue)\b/gi, 'schedule'],
  [/\b(?:cancle|cancell)\b/gi, 'cancel'],
  [/\b(?:meating|meetign|metting)\b/gi, 'meeting'],
  [/\b(?:minuts|mintues|minuets|minues)\b/gi, 'minutes'],
  // "3p", "3 p.m", "3P.M." -> "3pm"; chrono misses the bare "p" form.
  [/(\d)\s*([ap])\.?\s*m\b\.?|(\d)([ap])\b/gi, '$1$3$2$4m'],
];

/** Rewrites common typos and shorthand so chrono and the keyword rules see canonical words. */
export function normalizeTypos(text: string): string {
  return TYPOS.reduce((t, [re, to]) => t.replace(re, to), text);
}

/** Blank out [start, end) with spaces, keeping the other indexes stable. */
function blank(text: string, start: number, end: number): string {
  return text.slice(0, start) + ' '.repeat(end - start) + text.slice(end);
}

/** First double-quoted (straight or curly) phrase. */
export function extractQuotedTitle(text: string): Extracted<string | undefined> {
  const m = /["“”]([^"“”]+)["“”]/.exec(text);
  if (!m || !m[1]?.trim()) return { value: undefined, rest: text };
  return { value: m[1].trim(), rest: blank(text, m.index, m.index + m[0].length) };
}

/** Regex alternation of full weekday names (typos are normalised to these first). */
export const FULL_WEEKDAYS = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday';
const WEEKDAY_WORDS = `${FULL_WEEKDAYS}|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun`;
// Full month names that double as first names (April, May, June, August) are left out on purpose.
const MONTH_WORDS = 'jan|january|feb|february|mar|march|apr|jun|jul|july|aug|sep|sept|september|oct|october|nov|november|dec|december';
/** Words that end a free-text phrase (title, attendee list) because a date/time/other clause starts. */
const CLAUSE_STOP = new RegExp(
  `^(?:with|on|at|in|for|from|by|to|until|till|before|after|about|titled|called|named|regarding|re|daily|weekly|weekdays|` +
    `today|tomorrow|tonight|yesterday|next|this|coming|morning|afternoon|evening|noon|midnight|` +
    `asap|please|every|am|pm|${WEEKDAY_WORDS}|${MONTH_WORDS})$`,
  'i',
);
/** Extra words that cannot be attendee names. */
const NOT_A_NAME = /^(?:me|us|you|him|her|them|my|our|your|the|a|an|i|we|it|that|this|someone|everyone|and|or)$/i;

/** A group as attendee: "the design team", "marketing team", "the sales group". */
const GROUP = /^(?:the\s+)?(?!the\b)([\p{L}][\p{L}-]*(?:\s+[\p{L}][\p{L}-]*)?)\s+(team|group|squad|crew|department|dept)\b/iu;

/** Splits into word tokens with their offsets, also surfacing commas/ampersands as tokens. */
function tokens(text: string, from: number): Array<{ word: string; start: number; end: number }> {
  const out: Array<{ word: string; start: number; end: number }> = [];
  const re = /[,&;]|[^\s,&;]+/g;
  re.lastIndex = from;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ word: m[0], start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/**
 * Collects words after `from` until a clause-stop word, a number-led token or
 * sentence punctuation; returns the phrase and where it ends.
 */
function phraseFrom(text: string, from: number): { phrase: string; end: number } {
  let end = from;
  const words: string[] = [];
  for (const t of tokens(text, from)) {
    if (/^[,;&]$/.test(t.word) || CLAUSE_STOP.test(t.word) || /^\d/.test(t.word)) break;
    const clean = t.word.replace(/[.!?]+$/, '');
    if (clean) words.push(clean);
    end = t.end;
    if (clean !== t.word) break; // sentence punctuation ends the phrase
  }
  return { phrase: words.join(' '), end };
}

export const capitalizeFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** `titled X` / `called X` / `about X` (unquoted). Quoted titles are handled separately. */
export function extractPhraseTitle(text: string): Extracted<string | undefined> {
  const m = /\b(?:titled|called|named|about|regarding|re:)\s+/i.exec(text);
  if (!m) return { value: undefined, rest: text };
  const { phrase, end } = phraseFrom(text, m.index + m[0].length);
  if (!phrase) return { value: undefined, rest: text };
  return { value: capitalizeFirst(phrase), rest: blank(text, m.index, end) };
}

const WORD_NUMBERS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3 };
const num = (s: string): number => WORD_NUMBERS[s.toLowerCase()] ?? Number(s);

const H = String.raw`(?:hours?|hrs?|h)`;
const M = String.raw`(?:minutes?|mins?|m)`;
const N = String.raw`(\d+(?:\.\d+)?|an?|one|two|three)`;
// Order matters: the longest spellings must win over their prefixes ("an hour" in "half an hour").
const DURATION_PATTERNS: Array<[RegExp, (m: RegExpExecArray) => number]> = [
  [new RegExp(String.raw`\b${N}\s*${H}\s+and\s+a\s+half\b`, 'i'), (m) => num(m[1]!) * 60 + 30],
  [new RegExp(String.raw`\b${N}\s+and\s+a\s+half\s+${H}\b`, 'i'), (m) => num(m[1]!) * 60 + 30],
  [/\bhalf\s+(?:an\s+)?hour\b/i, () => 30],
  [new RegExp(String.raw`\b${N}\s*${H}\s*(?:and\s+)?(\d+)\s*(?:${M}\b)?`, 'i'), (m) => num(m[1]!) * 60 + Number(m[2])],
  [new RegExp(String.raw`\b${N}\s*-?\s*${H}\b`, 'i'), (m) => num(m[1]!) * 60],
  [new RegExp(String.raw`\b(\d+)\s*-?\s*${M}\b`, 'i'), (m) => Number(m[1])],
];

export const DEFAULT_DURATION_MINUTES = 30;
export const MIN_DURATION_MINUTES = 5;
export const MAX_DURATION_MINUTES = 480;

/** Clamp rule: durations are forced into 5..480 minutes rather than rejected. */
export function clampDuration(minutes: number): number {
  return Math.min(MAX_DURATION_MINUTES, Math.max(MIN_DURATION_MINUTES, Math.round(minutes)));
}

/**
 * Meeting length ("30 min", "1.5h", "an hour and a half", "for 1h30"), already clamped.
 * "in 2 hours" is left alone: that is a start time, not a length.
 */
export function extractDuration(text: string): Extracted<number | undefined> {
  for (const [re, toMinutes] of DURATION_PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    const before = text.slice(0, m.index);
    if (/\b(?:in|within)\s*$/i.test(before)) continue;
    const forWord = /\bfor\s*$/i.exec(before);
    const start = forWord ? forWord.index : m.index;
    return { value: clampDuration(toMinutes(m)), rest: blank(text, start, m.index + m[0].length) };
  }
  return { value: undefined, rest: text };
}

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[a-z]{2,}$/i;
const NAME_WORD = /^\p{L}[\p{L}'’.-]*$/u;

/** "dana" -> "Dana", "o'neil" -> "O'neil"; mixed-case input ("McKay") is kept as typed. */
function capitalizeName(word: string): string {
  return word === word.toLowerCase() ? capitalizeFirst(word) : word;
}

/**
 * Attendees after "with" (or "meet"): comma/"and"/"&"-separated names (multi-word names allowed) or
 * emails, stopping at the first date/time/clause word.
 */
export function extractAttendees(text: string): Extracted<string[]> {
  for (const m of text.matchAll(/\b(?:with|meet|invite)\s+/gi)) {
    const found = namesAfter(text, m.index + m[0].length);
    if (found.names.length) return { value: found.names, rest: blank(text, m.index, found.end) };
  }
  return { value: [], rest: text };
}

function namesAfter(text: string, from: number): { names: string[]; end: number } {
  const names: string[] = [];
  let current: string[] = [];
  let consumedTo = from;
  const flush = (): void => {
    if (current.length) names.push(current.join(' '));
    current = [];
  };
  let skipTo = -1;
  for (const t of tokens(text, consumedTo)) {
    if (t.start < skipTo) continue;
    if (/^(?:,|&|and)$/i.test(t.word)) {
      flush();
      continue;
    }
    const group = current.length ? null : GROUP.exec(text.slice(t.start));
    if (group) {
      flush();
      names.push(`the ${group[1]!.toLowerCase()} ${group[2]!.toLowerCase()}`);
      consumedTo = skipTo = t.start + group[0].length;
      continue;
    }
    const word = t.word.replace(/[.!?]+$/, '');
    const isEmail = EMAIL.test(word);
    if (!isEmail && (!NAME_WORD.test(word) || CLAUSE_STOP.test(word) || NOT_A_NAME.test(word))) break;
    // Only capitalised words extend a name ("Dana Smith"); otherwise "with Dana so we..." grows junk.
    if (!isEmail && current.length && !/^\p{Lu}/u.test(word)) break;
    if (isEmail) {
      flush();
      names.push(word);
    } else {
      current.push(capitalizeName(word));
    }
    consumedTo = t.end;
    if (word !== t.word) break; // sentence punctuation ends the list
  }
  flush();
  // `consumedTo` stops at the last name, so a dangling "and"/comma stays in the text.
  return { names, end: consumedTo };
}

/** Explicit zone abbreviations we accept after a time, mapped to IANA zones. */
const ZONE_ABBREVIATIONS: Record<string, string> = {
  UTC: 'UTC',
  GMT: 'UTC',
  // People say "EST" all year for Eastern time, so the US abbreviations map to the DST-aware zone.
  ET: 'America/New_York',
  EST: 'America/New_York',
  EDT: 'America/New_York',
  CT: 'America/Chicago',
  CST: 'America/Chicago',
  CDT: 'America/Chicago',
  MT: 'America/Denver',
  MST: 'America/Denver',
  MDT: 'America/Denver',
  PT: 'America/Los_Angeles',
  PST: 'America/Los_Angeles',
  PDT: 'America/Los_Angeles',
  BST: 'Europe/London',
  CET: 'Europe/Berlin',
  CEST: 'Europe/Berlin',
  IST: 'Asia/Kolkata',
  JST: 'Asia/Tokyo',
  AEST: 'Australia/Sydney',
  AEDT: 'Australia/Sydney',
};

/** Places and regions people name with "time" ("3pm London time"), mapped to IANA zones. */
const NAMED_ZONES: Record<string, string> = {
  london: 'Europe/London',
  uk: 'Europe/London',
  dublin: 'Europe/Dublin',
  lisbon: 'Europe/Lisbon',
  paris: 'Europe/Paris',
  berlin: 'Europe/Berlin',
  amsterdam: 'Europe/Amsterdam',
  madrid: 'Europe/Madrid',
  rome: 'Europe/Rome',
  zurich: 'Europe/Zurich',
  stockholm: 'Europe/Stockholm',
  warsaw: 'Europe/Warsaw',
  athens: 'Europe/Athens',
  istanbul: 'Europe/Istanbul',
  moscow: 'Europe/Moscow',
  dubai: 'Asia/Dubai',
  india: 'Asia/Kolkata',
  delhi: 'Asia/Kolkata',
  mumbai: 'Asia/Kolkata',
  bangalore: 'Asia/Kolkata',
  singapore: 'Asia/Singapore',
  'hong kong': 'Asia/Hong_Kong',
  shanghai: 'Asia/Shanghai',
  beijing: 'Asia/Shanghai',
  seoul: 'Asia/Seoul',
  tokyo: 'Asia/Tokyo',
  sydney: 'Australia/Sydney',
  melbourne: 'Australia/Melbourne',
  auckland: 'Pacific/Auckland',
  'new york': 'America/New_York',
  ny: 'America/New_York',
  nyc: 'America/New_York',
  boston: 'America/New_York',
  toronto: 'America/Toronto',
  eastern: 'America/New_York',
  chicago: 'America/Chicago',
  central: 'America/Chicago',
  denver: 'America/Denver',
  mountain: 'America/Denver',
  pacific: 'America/Los_Angeles',
  'san francisco': 'America/Los_Angeles',
  sf: 'America/Los_Angeles',
  la: 'America/Los_Angeles',
  'los angeles': 'America/Los_Angeles',
  seattle: 'America/Los_Angeles',
  vancouver: 'America/Vancouver',
  'mexico city': 'America/Mexico_City',
  'sao paulo': 'America/Sao_Paulo',
  'são paulo': 'America/Sao_Paulo',
  'buenos aires': 'America/Argentina/Buenos_Aires',
  utc: 'UTC',
  gmt: 'UTC',
};
const NAMED_ZONE = new RegExp(
  `(\\d|[ap]m|noon)\\s+(?:in\\s+)?(${Object.keys(NAMED_ZONES)
    .sort((a, b) => b.length - a.length)
    .join('|')})(?:\\s+|-)time\\b`,
  'iu',
);

/**
 * A time-zone abbreviation or UTC±N directly after a time ("3pm EST", "10:00 UTC",
 * "9am UTC+2"), resolved to an IANA zone. Only recognised right after a time so that names
 * and words elsewhere are never mistaken for zones.
 */
export function extractExplicitZone(text: string): Extracted<string | undefined> {
  const named = NAMED_ZONE.exec(text);
  if (named) {
    const start = named.index + named[1]!.length;
    return { value: NAMED_ZONES[named[2]!.toLowerCase()], rest: blank(text, start, named.index + named[0].length) };
  }
  const re = /(\d|[ap]m|noon)\s*\(?\b([a-z]{2,4})(?:\s*([+-])\s*(\d{1,2}))?\)?(?![\p{L}\d])/giu;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const abbr = m[2]!.toUpperCase();
    let zone = ZONE_ABBREVIATIONS[abbr];
    if (zone && m[3] && m[4]) {
      if (zone !== 'UTC') continue;
      // Etc/GMT signs are inverted by POSIX convention: UTC+2 is Etc/GMT-2.
      zone = Number(m[4]) === 0 ? 'UTC' : `Etc/GMT${m[3] === '+' ? '-' : '+'}${Number(m[4])}`;
    }
    if (!zone) continue;
    const start = m.index + m[1]!.length;
    return { value: zone, rest: blank(text, start, m.index + m[0].length) };
  }
  return { value: undefined, rest: text };
}

/** Kinds of meeting that name it ("lunch with Priya" -> "Lunch with Priya"); generic words (call, sync, coffee) do not. */
const SUBJECT_NOUNS =
  'lunch|dinner|breakfast|brunch|drinks|standup|retro|retrospective|interview|demo|review|check-in|onboarding|workshop|offsite|kickoff|kick-off|planning|party|training';

export interface Subject {
  /** Lower-case, singular ("standup"); undefined for an "X appointment" title. */
  subject?: string;
  /** The title it gives, before attendees are known: "Lunch" (+ " with ..." when `withFollows`). */
  title: string;
  withFollows: boolean;
}

/**
 * The kind of meeting named in the text ("lunch", "for standup", "the standup series", "a dentist
 * appointment"); blanks it (and a "for" before it) so it is not read again.
 */
export function extractSubject(text: string): Extracted<Subject | undefined> {
  const noun = new RegExp(`\\b(for\\s+(?:a\\s+|an\\s+|the\\s+)?)?(${SUBJECT_NOUNS})s?\\b`, 'i').exec(text);
  if (noun) {
    const word = noun[2]!.toLowerCase();
    const after = text.slice(noun.index + noun[0].length);
    return {
      value: { subject: word, title: capitalizeFirst(word), withFollows: !noun[1] && /^\s+with\b/i.test(after) },
      rest: blank(text, noun.index, noun.index + noun[0].length),
    };
  }
  const appointment = /\b(?!(?:a|an|the|my|new|an?other)\b)([\p{L}]+)\s+(?:appointment|appt)\b/iu.exec(text);
  if (appointment) {
    return {
      value: { title: `${capitalizeFirst(appointment[1]!.toLowerCase())} appointment`, withFollows: false },
      rest: blank(text, appointment.index, appointment.index + appointment[0].length),
    };
  }
  return { value: undefined, rest: text };
}

const FILLER = new Set(
  (
    'book schedule set up setup arrange organize organise plan a an the my me please can could would you i we us our ' +
    "let's lets need want to for with and at on in by some time quick new invite reserve slot hey hi ok okay just also " +
    'meeting meetings meet call calls sync chat catch catch-up catchup coffee appointment appt 1:1 one-on-one 1-on-1 find ' +
    'it that get put add create sure of from is be'
  ).split(' '),
);
const DATE_WORDS = new RegExp(
  `^(?:today|tomorrow|tonight|yesterday|next|this|last|coming|week|weeks|weekend|month|months|morning|afternoon|` +
    `evening|night|noon|midnight|am|pm|until|till|day|days|hour|hours|hrs?|minutes?|mins?|${WEEKDAY_WORDS}|${MONTH_WORDS}|` +
    `april|may|june|august)$`,
  'i',
);
const isNoise = (w: string): boolean => FILLER.has(w.toLowerCase()) || DATE_WORDS.test(w) || /\d/.test(w);

/**
 * What the parse did not use: runs of words left in `rest` (the text with every understood span
 * blanked; `base` is the same text before blanking, for telling blanked gaps from spaces), with
 * filler and date words trimmed off their ends ("in the big conference room" -> "big conference room").
 */
export function leftoverPhrases(rest: string, base: string): string[] {
  const runs: string[][] = [];
  let run: string[] = [];
  let lastEnd = -1;
  for (const m of rest.matchAll(/[^\s,;]+/g)) {
    const word = m[0].replace(/[.!?]+$/, '').replace(/^[("']+|[)"']+$/g, '');
    const contiguous = lastEnd >= 0 && /^\s*$/.test(base.slice(lastEnd, m.index)) && /^\s*$/.test(rest.slice(lastEnd, m.index));
    if (!contiguous || DATE_WORDS.test(word) || /\d/.test(word)) {
      if (run.length) runs.push(run);
      run = [];
    }
    if (word && !DATE_WORDS.test(word) && !/\d/.test(word)) run.push(word);
    lastEnd = m.index + m[0].length;
  }
  if (run.length) runs.push(run);
  const out: string[] = [];
  for (const r of runs) {
    let a = 0;
    let b = r.length;
    while (a < b && isNoise(r[a]!)) a++;
    while (b > a && isNoise(r[b - 1]!)) b--;
    if (b > a) out.push(r.slice(a, b).join(' '));
  }
  return out;
}
