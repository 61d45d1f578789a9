import { z } from 'zod';
import type { TaskOutcome } from '@/lib/repositories/scheduling-task.repository';
import * as calendarBooking from '@/lib/services/calendar-booking.service';
import * as calendarService from '@/lib/services/calendar.service';
import { CancelCandidateSchema, type CancelCandidate } from '@/scheduling/agent-state';
import { formatLocal } from '@/scheduling/availability';
import type { ParsedRequest } from '@/scheduling/parse-request';
import { addDays, parseHm, parseYmd, zonedTimeToUtc } from '@/scheduling/tz';
import * as say from '@/scheduling/agent-messages';
import { externalBusy, publish, unpublish } from './calendar-access';
import { offerOnce, type Conversation } from './scheduling-conversation';

/**
 * "clear my afternoon": lists the meetings the agent booked in that part of the day (each one, or
 * one occurrence of a series) and asks before cancelling them all; meetings others put in a
 * connected calendar are counted but left alone (the agent did not book them).
 */

function windowOf(c: Conversation, parsed: ParsedRequest): { from: Date; to: Date } {
  const day = parseYmd(parsed.date!)!;
  if (!parsed.window) {
    return {
      from: zonedTimeToUtc({ ...day, hour: 0, minute: 0 }, c.timeZone),
      to: zonedTimeToUtc({ ...addDays(day, 1), hour: 0, minute: 0 }, c.timeZone),
    };
  }
  return {
    from: zonedTimeToUtc({ ...day, ...parseHm(parsed.window.from)! }, c.timeZone),
    to: zonedTimeToUtc({ ...day, ...parseHm(parsed.window.to)! }, c.timeZone),
  };
}

const describe = (o: CancelCandidate, timeZone: string) => `${o.title}, ${formatLocal(new Date(o.start), timeZone)}`;

export async function clearDay(c: Conversation, parsed: ParsedRequest): Promise<TaskOutcome> {
  const { from, to } = windowOf(c, parsed);
  const lower = from < c.now ? c.now : from;
  const span = `${say.formatDay(parsed.date!)}${parsed.window ? ` ${parsed.window.from}-${parsed.window.to}` : ''}`;
  const mine = lower < to ? (await calendarService.busyBetween(c.userId, lower, to)).filter((o) => o.start >= lower) : [];
  const others = lower < to ? (await externalBusy(c.userId, lower, to)).length : 0;
  const othersNote = others ? ` ${others} other event${others > 1 ? 's' : ''} in your calendar I did not book stay as they are.` : '';
  if (mine.length === 0) {
    await c.respond({ step: 'nothing-to-clear', type: 'info', content: `Nothing of mine to clear ${span}.${othersNote}` });
    return { status: 'COMPLETED', state: { parsed }, result: { cleared: 0 } };
  }
  const candidates: CancelCandidate[] = mine.slice(0, 10).map((o) => ({
    eventId: o.eventId,
    title: o.title,
    start: o.start.toISOString(),
    end: o.end.toISOString(),
    ...(o.recurrence && { recurrence: o.recurrence }),
  }));
  const list = candidates.map((o, i) => `${i + 1}) ${describe(o, c.timeZone)}`).join('  ');
  const n = candidates.length;
  const shown = await offerOnce(
    c,
    {
      step: 'clear-confirm',
      type: 'clarification',
      content: `Cancel ${n === 1 ? 'this meeting' : `these ${n} meetings`} ${span}? ${list}.${othersNote} Reply yes or no.`,
      data: {
        candidates,
        choices: [
          { label: n === 1 ? 'Cancel it' : `Cancel all ${n}`, value: 'yes' },
          { label: 'Keep them', value: 'no' },
        ],
      },
    },
    'candidates',
    candidates,
    z.array(CancelCandidateSchema),
  );
  return { status: 'WAITING_FOR_USER', state: { parsed, pending: { kind: 'clear', candidates: shown } } };
}

/** The answer to "cancel these meetings?": yes cancels each (one occurrence of a series), no keeps them. */
export async function clearConfirmed(c: Conversation, candidates: CancelCandidate[], yes: boolean): Promise<TaskOutcome> {
  if (!yes) {
    await c.respond({ step: 'clear-kept', type: 'info', content: 'OK, I kept them; nothing was cancelled.' });
    return { status: 'COMPLETED', state: {}, result: { cleared: 0 } };
  }
  for (const candidate of candidates) {
    // Each step is idempotent (a re-run cancels what is already cancelled, again).
    const event = candidate.recurrence
      ? await calendarBooking.cancelOccurrence({ eventId: candidate.eventId, userId: c.userId, start: new Date(candidate.start) })
      : await calendarBooking.cancelEvent({ eventId: candidate.eventId, userId: c.userId });
    if (!event) continue; // Gone meanwhile: nothing left to cancel.
    if (candidate.recurrence) await publish(c.userId, event);
    else await unpublish(c.userId, event.id);
  }
  await c.respond({
    step: 'cleared',
    type: 'cancellation',
    content: `Cancelled ${candidates.length === 1 ? '1 meeting' : `${candidates.length} meetings`}: ${candidates.map((o) => describe(o, c.timeZone)).join('; ')}.`,
    data: { cancelled: candidates.map((o) => ({ eventId: o.eventId, start: o.start, ...(o.recurrence && { scope: 'occurrence' }) })) },
  });
  return { status: 'COMPLETED', state: {}, result: { cleared: candidates.length } };
}
