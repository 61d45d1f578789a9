import { z } from 'zod';
import type { TaskOutcome } from '@/lib/repositories/scheduling-task.repository';
import * as calendarBooking from '@/lib/services/calendar-booking.service';
import * as calendarService from '@/lib/services/calendar.service';
import type { Occurrence } from '@/lib/services/calendar.service';
import * as say from '@/scheduling/agent-messages';
import { CancelCandidateSchema, type CancelCandidate } from '@/scheduling/agent-state';
import { findAlternatives, formatLocal } from '@/scheduling/availability';
import type { ParsedRequest } from '@/scheduling/parse-request';
import { addDays, formatHm, formatYmd, getZonedParts, parseHm, parseYmd, zonedTimeToUtc } from '@/scheduling/tz';
import { allBusy, externalBusy, publish } from './calendar-access';
import { answerMoveConflict, moveOneOccurrence } from './move-occurrence';
import { book, numberedChoices, offer, offerOnce, type Conversation } from './scheduling-conversation';

/**
 * The requests about meetings that already exist: agenda and free/busy questions (answered as
 * INFO with the events or free slots in `data`), moves that keep the event's identity, and
 * finding time in a window.
 */

const DAY_MS = 86_400_000;

type Target = NonNullable<ParsedRequest['target']>;

/** Does the meeting match what the user named (day, time, attendees, kind of meeting)? */
export function matchesTarget(target: Target, event: Pick<Occurrence, 'start' | 'attendees' | 'title'>, timeZone: string): boolean {
  // The parse's date and time are wall-clock values in the zone the user named, else theirs.
  const local = getZonedParts(event.start, timeZone);
  if (target.date && formatYmd(local) !== target.date) return false;
  if (target.time && formatHm(local.hour, local.minute) !== target.time) return false;
  if (target.subject && !event.title.toLowerCase().includes(target.subject)) return false;
  const wanted = target.attendees.map((a) => a.toLowerCase());
  return wanted.every((name) => event.attendees.some((a) => a.toLowerCase() === name));
}

const view = (o: Occurrence) => ({
  eventId: o.eventId,
  title: o.title,
  start: o.start.toISOString(),
  end: o.end.toISOString(),
  attendees: o.attendees,
  ...(o.recurrence && { recurrence: o.recurrence }),
});

const line = (o: Occurrence, timeZone: string): string =>
  `${o.title}, ${formatLocal(o.start, timeZone)} (${say.describeLength(Math.round((o.end.getTime() - o.start.getTime()) / 60_000))})`;

const dayStart = (ymd: string, timeZone: string): Date => zonedTimeToUtc({ ...parseYmd(ymd)!, hour: 0, minute: 0 }, timeZone);

/**
 * Meetings the user may mean, as choices: one per single event, and one per series (its first
 * occurrence in `occurrences`), so a weekly meeting is not offered once a week.
 */
export function toCandidates(occurrences: Occurrence[]): CancelCandidate[] {
  const seen = new Set<string>();
  return occurrences
    .filter((e) => (e.recurrence ? !seen.has(e.eventId) && seen.add(e.eventId) : true))
    .map((e) => ({
      eventId: e.eventId,
      title: e.title,
      start: e.start.toISOString(),
      end: e.end.toISOString(),
      ...(e.recurrence && { recurrence: e.recurrence }),
    }));
}

/** "what's on my calendar this week?": the meetings of the range, as INFO. */
export async function answerAgenda(c: Conversation, parsed: ParsedRequest): Promise<TaskOutcome> {
  const range = parsed.range ?? { from: formatYmd(getZonedParts(c.now, c.timeZone)), to: formatYmd(getZonedParts(c.now, c.timeZone)) };
  const from = dayStart(range.from, c.timeZone);
  const to = zonedTimeToUtc({ ...addDays(parseYmd(range.to)!, 1), hour: 0, minute: 0 }, c.timeZone);
  const events = await allBusy(c.userId, from, to);
  const span = range.from === range.to ? say.formatDay(range.from) : `${say.formatDay(range.from)} - ${say.formatDay(range.to)}`;
  const content = events.length
    ? `${span}: ${events
        .slice(0, 20)
        .map((e, i) => `${i + 1}) ${line(e, c.timeZone)}`)
        .join('  ')}${events.length > 20 ? ` and ${events.length - 20} more` : ''}`
    : `${span}: nothing on your calendar.`;
  await c.respond({ step: 'agenda', type: 'info', content, data: { range, events: events.map(view) } });
  return { status: 'COMPLETED', state: { parsed }, result: { events: events.length } };
}

/** Free stretches of [from, to) between the busy meetings. */
function freeStretches(from: Date, to: Date, busy: Occurrence[]): Array<{ start: Date; end: Date }> {
  const out: Array<{ start: Date; end: Date }> = [];
  let cursor = from;
  for (const b of busy) {
    if (b.start > cursor) out.push({ start: cursor, end: b.start < to ? b.start : to });
    if (b.end > cursor) cursor = b.end;
    if (cursor >= to) break;
  }
  if (cursor < to) out.push({ start: cursor, end: to });
  return out.filter((s) => s.end.getTime() - s.start.getTime() >= 15 * 60_000);
}

/** The window to search on the parse's day: its part of the day within working hours, else the working day. */
function searchWindow(c: Conversation, parsed: ParsedRequest): { from: Date; to: Date } {
  const day = parseYmd(parsed.date!)!;
  const wh = { from: c.workingHours.start, to: c.workingHours.end };
  const w = parsed.window ?? wh;
  // A part of the day outside working hours (an evening) is searched as asked.
  const from = w.from < wh.from && w.to > wh.from ? wh.from : w.from;
  const to = w.to > wh.to && w.from < wh.to ? wh.to : w.to;
  return { from: zonedTimeToUtc({ ...day, ...parseHm(from)! }, c.timeZone), to: zonedTimeToUtc({ ...day, ...parseHm(to)! }, c.timeZone) };
}

/** "am I free Friday at 3?" (yes/no with what is there) or "when am I free tomorrow afternoon?" (free slots). */
export async function answerAvailability(c: Conversation, parsed: ParsedRequest): Promise<TaskOutcome> {
  if (parsed.start) {
    const start = new Date(parsed.start);
    const end = new Date(start.getTime() + parsed.durationMinutes * 60_000);
    const busy = await allBusy(c.userId, start, end);
    const when = `${formatLocal(start, c.timeZone)} (${say.describeLength(parsed.durationMinutes)})`;
    const content = busy.length
      ? `No, ${when} is taken: ${busy.map((b) => line(b, c.timeZone)).join('; ')}.`
      : `Yes, you are free ${when}.`;
    await c.respond({
      step: 'availability',
      type: 'info',
      content,
      data: { free: busy.length === 0, start: parsed.start, end: end.toISOString(), events: busy.map(view) },
    });
    return { status: 'COMPLETED', state: { parsed }, result: { free: busy.length === 0 } };
  }
  const { from, to } = searchWindow(c, parsed);
  const lower = from < c.now ? c.now : from;
  const busy = lower < to ? await allBusy(c.userId, lower, to) : [];
  const free = lower < to ? freeStretches(lower, to, busy) : [];
  const clock = (d: Date) => formatLocal(d, c.timeZone).replace(/^.*, /, '');
  const content = free.length
    ? `You are free ${say.formatDay(parsed.date!)}: ${free.map((s) => `${clock(s.start)} - ${clock(s.end)}`).join(', ')}.`
    : `You have no free time ${say.formatDay(parsed.date!)} in that window.`;
  const freeSlots = free.map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() }));
  await c.respond({ step: 'availability', type: 'info', content, data: { free: free.length > 0, freeSlots, events: busy.map(view) } });
  return { status: 'COMPLETED', state: { parsed }, result: { freeSlots: freeSlots.length } };
}

/** "find half an hour with Sam on Thursday morning": books the first free slot of the window, else offers others. */
export async function findInWindow(c: Conversation, parsed: ParsedRequest): Promise<TaskOutcome> {
  const { from, to } = searchWindow(c, parsed);
  const busy = await allBusy(c.userId, from, to);
  const [slot] = findAlternatives({
    desiredStart: from,
    durationMinutes: parsed.durationMinutes,
    busy: busy.map((b) => ({ start: b.start, end: b.end })),
    workingHours: {
      days: [0, 1, 2, 3, 4, 5, 6],
      start: formatHm(getZonedParts(from, c.timeZone).hour, getZonedParts(from, c.timeZone).minute),
      end: formatHm(getZonedParts(to, c.timeZone).hour, getZonedParts(to, c.timeZone).minute),
    },
    timeZone: c.timeZone,
    now: c.now,
    count: 1,
    stepMinutes: 15,
    searchDays: 1,
  });
  if (slot) return book(c, { ...parsed, start: slot.start, missing: [] }, new Date(slot.start));
  return offer(
    c,
    parsed,
    from,
    undefined,
    `Nothing fits ${say.describeLength(parsed.durationMinutes)} ${say.formatDay(parsed.date!)} in that window.`,
  );
}

/** "move my 3pm with Dana to Friday": finds the meeting, then moves it (or asks which one). */
export async function reschedule(c: Conversation, parsed: ParsedRequest): Promise<TaskOutcome> {
  const target = parsed.target ?? { attendees: [] };
  const from = new Date(c.now.getTime() - DAY_MS);
  const events = await calendarService.busyBetween(
    c.userId,
    from,
    new Date(c.now.getTime() + calendarService.SERIES_HORIZON_DAYS * DAY_MS),
  );
  const candidates = toCandidates(events.filter((e) => e.end > c.now && matchesTarget(target, e, c.timeZone)));
  if (candidates.length === 0) {
    await c.respond({
      step: 'nothing-to-move',
      type: 'info',
      content: 'I could not find an upcoming meeting that matches. Nothing was moved.',
    });
    return { status: 'COMPLETED', state: { parsed }, result: { movedEventId: null } };
  }
  if (parsed.missing.length === 2 && parsed.shiftMinutes === undefined) {
    await c.respond({
      step: 'move-when',
      type: 'clarification',
      content: `When should I move "${candidates[0]!.title}" to? For example "Friday at 2pm" or "30 minutes later".`,
    });
    return { status: 'COMPLETED', state: { parsed }, result: { movedEventId: null } };
  }
  if (candidates.length === 1) return moveTo(c, parsed, candidates[0]!);
  const offered = candidates.slice(0, 5);
  const list = offered.map((o, i) => `${i + 1}) ${o.title}, ${formatLocal(new Date(o.start), c.timeZone)}`).join('  ');
  const shown = await offerOnce(
    c,
    {
      step: 'which-to-move',
      type: 'clarification',
      content: `Which meeting should I move? ${list}. Reply "the first one", "the second one" or its time.`,
      data: { candidates: offered, choices: numberedChoices(offered, c.timeZone) },
    },
    'candidates',
    offered,
    z.array(CancelCandidateSchema),
  );
  return { status: 'WAITING_FOR_USER', state: { parsed, pending: { kind: 'move-choice', candidates: shown } } };
}

/** Moves the chosen meeting to the parse's new day/time (each defaulting to the meeting's own) or by its shift. */
export async function moveTo(c: Conversation, parsed: ParsedRequest, candidate: CancelCandidate): Promise<TaskOutcome> {
  const oldStart = new Date(candidate.start);
  const length = new Date(candidate.end).getTime() - oldStart.getTime();
  let newStart: Date;
  if (parsed.shiftMinutes !== undefined) newStart = new Date(oldStart.getTime() + parsed.shiftMinutes * 60_000);
  else {
    const zone = parsed.explicitTimeZone ?? c.timeZone;
    const local = getZonedParts(oldStart, zone);
    const day = parsed.date ? parseYmd(parsed.date)! : local;
    const time = parsed.time ? parseHm(parsed.time)! : { hour: local.hour, minute: local.minute };
    newStart = zonedTimeToUtc({ year: day.year, month: day.month, day: day.day, ...time }, zone);
  }
  if (newStart < c.now) {
    await c.respond({
      step: 'move-past',
      type: 'clarification',
      content: `${formatLocal(newStart, c.timeZone)} has already passed. Nothing was moved.`,
    });
    return { status: 'COMPLETED', state: { parsed }, result: { movedEventId: null } };
  }
  // One occurrence ("the standup on Monday", "only ..."): it leaves the series as a meeting of its own.
  const onlyThis = candidate.recurrence && (parsed.scope ?? (parsed.target?.date ? 'occurrence' : 'series')) === 'occurrence';
  if (onlyThis) return moveOneOccurrence(c, parsed, candidate, newStart);
  // A series moves as a whole: its first occurrence shifts by as much as the chosen one.
  const event = (await calendarService.eventById({ eventId: candidate.eventId, userId: c.userId }))!;
  const delta = newStart.getTime() - oldStart.getTime();
  const startsAt = candidate.recurrence ? new Date(event.startsAt.getTime() + delta) : newStart;
  const endsAt = candidate.recurrence ? new Date(event.endsAt.getTime() + delta) : new Date(newStart.getTime() + length);
  const until = candidate.recurrence ? new Date(startsAt.getTime() + calendarService.SERIES_HORIZON_DAYS * DAY_MS) : endsAt;
  const moved = await calendarBooking.moveEvent({
    eventId: candidate.eventId,
    userId: c.userId,
    taskId: c.taskId,
    startsAt,
    endsAt,
    externalBusy: await externalBusy(c.userId, startsAt, until),
  });
  if (!moved) throw new Error(`event ${candidate.eventId} vanished`);
  if ('conflicts' in moved) return answerMoveConflict(c, parsed, candidate, moved.conflicts);
  await publish(c.userId, moved.booked);
  const minutes = Math.round(length / 60_000);
  await c.respond({
    step: 'moved',
    type: 'confirmation',
    content: `Meeting moved: ${moved.booked.title}, now ${formatLocal(newStart, c.timeZone)} (${say.describeLength(minutes)})${say.ignoredNote(parsed.ignored)}`,
    data: {
      eventId: moved.booked.id,
      startsAt: newStart.toISOString(),
      endsAt: new Date(newStart.getTime() + length).toISOString(),
      previousStartsAt: oldStart.toISOString(),
      durationMinutes: minutes,
      title: moved.booked.title,
      attendees: moved.booked.attendees,
    },
  });
  return { status: 'COMPLETED', state: { parsed }, result: { movedEventId: moved.booked.id } };
}
