import type { ParsedRequest } from './parse-request';
import { formatLocal, type Slot, type WorkingHours } from './availability';

/** What the agent says, in one place so the processor and its tests agree on the words. */

export const EXAMPLE_REQUESTS = ['Book 30 min with Dana tomorrow at 3pm', 'Cancel my 3pm with Dana tomorrow'] as const;

export const PROCESSING = 'Processing your request...';
export const CHECKING = 'Checking availability...';
export const FAILED = 'Failed to schedule meeting';

export function unparseable(): string {
  return `Sorry, I couldn't understand that request. Try something like "${EXAMPLE_REQUESTS[0]}" or "${EXAMPLE_REQUESTS[1]}".`;
}

/** Asks exactly for what the parse is missing. */
export function askForMissing(parsed: ParsedRequest): string {
  const what = `"${parsed.title}"`;
  if (parsed.reason === 'past') return `That time has already passed. Which day should I book ${what}? For example "tomorrow" or "Friday".`;
  if (parsed.reason === 'week-without-day') return `Which day next week should I book ${what}? For example "Tuesday at 10am".`;
  if (parsed.reason === 'ambiguous-hour' && parsed.missing.length === 1) {
    return `Did you mean AM or PM for ${what}? For example "3pm" or "15:00".`;
  }
  const missingDate = parsed.missing.includes('date');
  const missingTime = parsed.missing.includes('time');
  if (missingDate && missingTime) return `When should I book ${what}? Tell me a day and a time, for example "tomorrow at 3pm".`;
  if (missingDate)
    return `Which day should I book ${what}${parsed.time ? ` at ${formatClock(parsed.time)}` : ''}? For example "tomorrow" or "Friday".`;
  return `What time should I book ${what}${parsed.date ? ` on ${formatDay(parsed.date)}` : ''}? For example "at 3pm".`;
}

/** '14:00' -> '2:00 PM': the one time format of the chat. */
export function formatClock(hm: string): string {
  const [h, m] = hm.split(':').map(Number) as [number, number];
  return `${h % 12 === 0 ? 12 : h % 12}:${String(m).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
}

/** '2026-11-26' -> 'Thu, Nov 26'. */
export function formatDay(ymd: string): string {
  const [y, mo, d] = ymd.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, 12)).toLocaleDateString('en-US', {
    timeZone: 'UTC',
    weekday: 'short',
    month: 'short',
    day: 'numeric',
  });
}

/** "Mon-Fri 9:00 AM - 5:00 PM": the chat's one clock format, never "09:00". */
export function describeHours(wh: WorkingHours): string {
  const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const days =
    wh.days.length === 5 && [1, 2, 3, 4, 5].every((d) => wh.days.includes(d)) ? 'Mon-Fri' : wh.days.map((d) => names[d]).join(', ');
  return `${days} ${formatClock(wh.start)} - ${formatClock(wh.end)}`;
}

export function listSlots(slots: Slot[], timeZone: string): string {
  return slots.map((s, i) => `${i + 1}) ${formatLocal(new Date(s.start), timeZone)}`).join('  ');
}

export function offerAlternatives(reason: string, slots: Slot[], timeZone: string): string {
  return `${reason} Free times: ${listSlots(slots, timeZone)}. Reply "the first one", "the second one" or a time.`;
}

/** "30 min", "1 h", "1 h 30 min". */
export function describeLength(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m} min` : m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** "big conference room" and "zoom" -> `. I did not use "big conference room" or "zoom".` */
export function ignoredNote(ignored: string[] | undefined): string {
  if (!ignored?.length) return '';
  return `. I did not use ${ignored.map((i) => `"${i}"`).join(' or ')}.`;
}

/** States the meeting, its start in the user's zone and its length (and the repetition of a series). */
export function confirmation(title: string, start: Date, end: Date, timeZone: string, repeats?: string): string {
  const minutes = Math.round((end.getTime() - start.getTime()) / 60_000);
  return `Meeting scheduled: ${title}, ${repeats ? `${repeats}, from ` : ''}${formatLocal(start, timeZone)} (${describeLength(minutes)})`;
}

export function cancellation(title: string, start: Date, timeZone: string): string {
  return `Meeting cancelled: ${title}, ${formatLocal(start, timeZone)}`;
}
