import type { TaskOutcome } from '@/lib/repositories/scheduling-task.repository';
import * as calendarBooking from '@/lib/services/calendar-booking.service';
import * as say from '@/scheduling/agent-messages';
import type { CancelCandidate } from '@/scheduling/agent-state';
import { formatLocal } from '@/scheduling/availability';
import type { ParsedRequest } from '@/scheduling/parse-request';
import { externalBusy, publish } from './calendar-access';
import type { Conversation } from './scheduling-conversation';

/** Moves one occurrence of a series to `newStart` (the series gets an EXDATE, the meeting its own event). */
export async function moveOneOccurrence(
  c: Conversation,
  parsed: ParsedRequest,
  candidate: CancelCandidate,
  newStart: Date,
): Promise<TaskOutcome> {
  const oldStart = new Date(candidate.start);
  const length = new Date(candidate.end).getTime() - oldStart.getTime();
  const newEnd = new Date(newStart.getTime() + length);
  const moved = await calendarBooking.moveOccurrence({
    eventId: candidate.eventId,
    userId: c.userId,
    taskId: c.taskId,
    occurrenceStart: oldStart,
    startsAt: newStart,
    endsAt: newEnd,
    externalBusy: await externalBusy(c.userId, newStart, newEnd),
  });
  if (!moved) throw new Error(`event ${candidate.eventId} vanished`);
  if ('conflicts' in moved) return answerMoveConflict(c, parsed, candidate, moved.conflicts);
  await publish(c.userId, moved.series);
  await publish(c.userId, moved.booked);
  const minutes = Math.round(length / 60_000);
  await c.respond({
    step: 'moved',
    type: 'confirmation',
    content: `Meeting moved: ${moved.booked.title}, now ${formatLocal(newStart, c.timeZone)} (${say.describeLength(minutes)}), this one only; the series stays as it was${say.ignoredNote(parsed.ignored)}`,
    data: {
      eventId: moved.booked.id,
      seriesEventId: moved.series.id,
      scope: 'occurrence',
      startsAt: newStart.toISOString(),
      endsAt: newEnd.toISOString(),
      previousStartsAt: oldStart.toISOString(),
      durationMinutes: minutes,
      title: moved.booked.title,
      attendees: moved.booked.attendees,
    },
  });
  return { status: 'COMPLETED', state: { parsed }, result: { movedEventId: moved.booked.id } };
}

/** The answer when the new time is taken: nothing moved, the first conflict named, all of them in `data`. */
export async function answerMoveConflict(
  c: Conversation,
  parsed: ParsedRequest,
  candidate: CancelCandidate,
  conflicts: calendarBooking.Conflict[],
): Promise<TaskOutcome> {
  const k = conflicts[0]!;
  await c.respond({
    step: 'move-conflict',
    type: 'info',
    content: `${formatLocal(k.at, c.timeZone)} is taken ("${k.with.title}"). Nothing was moved; "${candidate.title}" stays at ${formatLocal(new Date(candidate.start), c.timeZone)}.`,
    data: { conflicts: conflicts.map((x) => ({ start: x.at.toISOString(), title: x.with.title })) },
  });
  return { status: 'COMPLETED', state: { parsed }, result: { movedEventId: null } };
}
