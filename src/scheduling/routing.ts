import type { Pending } from './agent-state';
import { parseAlternativeChoice } from './answers';
import { type ParseOptions, extractFacts, parseSchedulingRequest, parseWhen } from './parse-request';

/**
 * Where a message belongs while the agent waits for an answer. Every message is exactly one of:
 * - `answer`: it parses as an answer to the pending question (a choice, a time, a day, yes/no);
 * - `new-request`: it carries its own intent (a question, a cancel, a move, a booking of its own);
 * - `exit`: a way out ("never mind", "cancel that", "stop") that closes the pending question;
 * - `unclear`: none of these; the agent asks a short question instead of guessing.
 */
export type Route = 'answer' | 'new-request' | 'exit' | 'unclear';

const EXIT =
  /^\s*(?:(?:oh|ok|okay|actually|no|hmm|sorry)[\s,]+)?(?:never\s*mind|nvm|forget (?:about )?(?:it|that)|cancel (?:that|this|it)|stop(?: it| that)?|scratch that|drop it|abort|skip it|don'?t bother|no thanks|leave it)(?:[\s,]+(?:thanks|thank you|please))?\s*[.!]*\s*$/i;
export const YES = /^\s*(?:y|yes|yeah|yep|yup|sure|ok|okay|confirm|do it|go ahead|please do|sounds good|correct|right)\b/i;
export const NO = /^\s*(?:n|no|nope|nah|don'?t|do not|negative)\b/i;
export const ONLY_THIS = /\b(?:only|just|this one|that one|one occurrence|single|once)\b/i;
export const WHOLE_SERIES = /\b(?:series|all of them|all|every|whole|entire|each)\b/i;
const REFUSAL = /\b(?:none|neither|other|different|another)\b/i;
/** A booking of its own even without an attendee: a verb, or a named kind of meeting. */
const OWN_BOOKING = /\b(?:book(?!\s+it\b)|schedule(?!\s+it\b)|set\s+(?:\w+\s+)?up|arrange|organi[sz]e|find|meet)\b/i;

/** Is `text` a way out of whatever is pending? */
export function isExit(text: string): boolean {
  return EXIT.test(text);
}

function answersPending(text: string, pending: Pending, opts: ParseOptions): boolean {
  const when = () => {
    const w = parseWhen(extractFacts(text).rest, opts);
    return Boolean(w.date || w.clock || w.weekWithoutDay);
  };
  switch (pending.kind) {
    case 'details': {
      const facts = extractFacts(text);
      return /^\s*\d{1,2}(?::\d{2})?\s*$/.test(text) || when() || facts.durationMinutes !== undefined || facts.attendees.length > 0;
    }
    case 'alternatives':
      return parseAlternativeChoice(text, pending.alternatives, opts) !== null || REFUSAL.test(text) || when();
    case 'cancel-choice':
    case 'move-choice':
      return parseAlternativeChoice(text, pending.candidates, opts) !== null || when();
    case 'confirm':
    case 'clear':
      return YES.test(text) || NO.test(text);
    case 'scope':
      return ONLY_THIS.test(text) || WHOLE_SERIES.test(text);
    case 'request':
      return false;
  }
}

/** Decides where `text` belongs given what the agent waits for (`pending`, if anything). */
export function routeMessage(text: string, pending: Pending | undefined, opts: ParseOptions): Route {
  if (isExit(text)) return 'exit';
  if (!pending || pending.kind === 'request') return 'new-request';
  const parsed = parseSchedulingRequest(text, opts);
  if (parsed.intent !== 'schedule' && parsed.intent !== 'unknown') return 'new-request';
  if (parsed.intent === 'schedule' && (OWN_BOOKING.test(text) || parsed.subject || parsed.recurrence)) return 'new-request';
  return answersPending(text, pending, opts) ? 'answer' : 'unclear';
}
