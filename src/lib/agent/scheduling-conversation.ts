// Over 300 lines: the turn's decision (route, answer, act) reads best in one place; the calendar
// questions and moves live in calendar-requests.ts.
import type { ActivityState } from '@/lib/schemas/activity';
import { z } from 'zod';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import type { TaskOutcome } from '@/lib/repositories/scheduling-task.repository';
import * as calendarBooking from '@/lib/services/calendar-booking.service';
import * as calendarService from '@/lib/services/calendar.service';
import * as say from '@/scheduling/agent-messages';
import {
  CancelCandidateSchema,
  SlotSchema,
  type AgentState,
  type CancelCandidate,
  type Choice,
  type Pending,
} from '@/scheduling/agent-state';
import { mergeClarification, parseAlternativeChoice } from '@/scheduling/answers';
import { findAlternatives, formatLocal, isWithinWorkingHours, type WorkingHours } from '@/scheduling/availability';
import { parseSchedulingRequest, type ParsedRequest } from '@/scheduling/parse-request';
import { describeRule } from '@/scheduling/recurrence';
import { ONLY_THIS, YES, routeMessage } from '@/scheduling/routing';
import { CalDavError } from '@/lib/caldav/caldav-client';
import { allBusy, calendarTrouble, externalBusy, publish, unpublish } from './calendar-access';
import { answerAgenda, answerAvailability, findInWindow, reschedule, moveTo, matchesTarget, toCandidates } from './calendar-requests';
import { clearDay, clearConfirmed } from './clear-day';

/**
 * The scheduling agent's conversation: what one turn of a task (the request, or the user's
 * answer to the agent's last question) means, and what the agent does and says about it
 * (converse -> schedule -> offer / book, or cancel). It knows nothing of jobs or retries: it
 * talks through `respond`, which the job glue (schedulingAgent.processor.ts) backs with chat
 * messages that are sent once per turn and step, however often the turn is re-run.
 */

export type ResponseType = 'scheduling_update' | 'confirmation' | 'clarification' | 'cancellation' | 'error' | 'info';

/** One message of the agent to the user. */
export interface AgentMessage {
  /** The step of the turn that says it; a turn says each step once. */
  step: string;
  type: ResponseType;
  content: string;
  data?: Record<string, unknown>;
  /**
   * The content depends on the calendar at the time (free slots, meetings to pick from), which a
   * re-run of the turn may see differently: the message counts as the same one whatever it says.
   */
  volatile?: boolean;
}

/**
 * Says one message to the user; rejects when it could not be delivered (the turn is then re-run).
 * For a volatile message the user already got, resolves with the data of that first message.
 */
export type Respond = (message: AgentMessage) => Promise<{ firstData?: Record<string, unknown> | null }>;

/** The turn being conversed: whose task, in which zone, and the instant it is read against. */
export interface ConversationTurn {
  taskId: string;
  userId: string;
  turn: number;
  timeZone: string;
  /** When the user sent this turn: relative dates ("tomorrow") are read against it, on every attempt alike. */
  now: Date;
  workingHours: WorkingHours;
}

/** Tells the user what the agent is doing right now (an ephemeral activity, never stored); never rejects. */
export type Report = (state: ActivityState) => Promise<void>;

export interface Conversation extends ConversationTurn {
  respond: Respond;
  report: Report;
}

/** Buttons for a list of offered slots or meetings: the value is what typing would say. */
export function numberedChoices(items: { start: string; title?: string }[], timeZone: string): Choice[] {
  return items.map((item, i) => ({
    label: `${item.title ? `${item.title}, ` : ''}${formatLocal(new Date(item.start), timeZone)}`,
    value: `option ${i + 1}`,
  }));
}

/**
 * Sends a volatile offer (choices computed from the calendar now) and returns the choices the
 * user actually got: ours, or on a re-run the ones the first message carried.
 */
export async function offerOnce<T>(
  c: Conversation,
  message: Omit<AgentMessage, 'volatile'>,
  field: string,
  choices: T[],
  schema: z.ZodType<T[]>,
): Promise<T[]> {
  const { firstData } = await c.respond({ ...message, volatile: true });
  const shown = schema.safeParse(firstData?.[field]);
  return shown.success ? shown.data : choices;
}

export async function book(c: Conversation, parsed: ParsedRequest, start: Date, chosen = false): Promise<TaskOutcome> {
  await c.report('booking');
  const end = new Date(start.getTime() + parsed.durationMinutes * 60_000);
  const zone = parsed.explicitTimeZone ?? c.timeZone;
  // The connected calendar's own commitments count as conflicts (read before the booking's lock).
  const until = parsed.recurrence ? new Date(start.getTime() + calendarService.SERIES_HORIZON_DAYS * 86_400_000) : end;
  const other = await externalBusy(c.userId, start, until);
  const outcome = await calendarBooking.bookEvent({
    externalBusy: other,
    userId: c.userId,
    taskId: c.taskId,
    title: parsed.title,
    startsAt: start,
    endsAt: end,
    attendees: parsed.attendees,
    ...(parsed.recurrence && { recurrence: parsed.recurrence, timeZone: zone }),
  });
  if ('conflicts' in outcome) {
    const first = outcome.conflicts[0]!;
    if (parsed.recurrence) {
      const list = outcome.conflicts
        .slice(0, 3)
        .map((k) => `${formatLocal(k.at, c.timeZone)} ("${k.with.title}")`)
        .join(', ');
      await c.respond({
        step: 'series-conflicts',
        type: 'clarification',
        content: `${outcome.conflicts.length} of the meetings would clash: ${list}. Nothing was booked. Which other time should I try?`,
        data: { conflicts: outcome.conflicts.map((k) => ({ start: k.at.toISOString(), title: k.with.title })) },
      });
      return {
        status: 'WAITING_FOR_USER',
        state: { parsed: { ...parsed, start: undefined, missing: ['time'] }, pending: { kind: 'details' } },
      };
    }
    // Taken between the offer and the pick: say so plainly, then offer again; nothing was booked.
    const reason = chosen
      ? `Sorry, ${formatLocal(start, c.timeZone)} was just taken ("${first.with.title}"); nothing was booked.`
      : undefined;
    return offer(c, parsed, start, first.with.title, reason);
  }
  const event = outcome.booked;
  try {
    await publish(c.userId, event);
  } catch (err) {
    // A calendar that refuses us now keeps nothing of this booking, here or there.
    if (err instanceof CalDavError && err.kind === 'unauthorized')
      await calendarBooking.cancelEvent({ eventId: event.id, userId: c.userId });
    throw err;
  }
  const repeats = event.recurrence ? describeRule(event.recurrence, c.timeZone) : undefined;
  await c.respond({
    step: 'confirmed',
    type: 'confirmation',
    content: say.confirmation(event.title, event.startsAt, event.endsAt, c.timeZone, repeats) + say.ignoredNote(parsed.ignored),
    data: {
      eventId: event.id,
      startsAt: event.startsAt.toISOString(),
      endsAt: event.endsAt.toISOString(),
      durationMinutes: Math.round((event.endsAt.getTime() - event.startsAt.getTime()) / 60_000),
      title: event.title,
      attendees: event.attendees,
      ...(event.recurrence && { recurrence: event.recurrence }),
      ...(parsed.ignored?.length && { ignored: parsed.ignored }),
    },
  });
  return { status: 'COMPLETED', state: { parsed }, result: { eventId: event.id } };
}

/** The requested slot is taken or outside working hours: offer up to three free ones. */
export async function offer(
  c: Conversation,
  parsed: ParsedRequest,
  start: Date,
  conflictTitle?: string,
  why?: string,
): Promise<TaskOutcome> {
  const from = new Date(c.now.getTime());
  const busy = await allBusy(c.userId, from, new Date(from.getTime() + 16 * 86_400_000));
  const alternatives = findAlternatives({
    desiredStart: start,
    durationMinutes: parsed.durationMinutes,
    busy: busy.map((e) => ({ start: e.start, end: e.end })),
    workingHours: c.workingHours,
    timeZone: c.timeZone,
    now: c.now,
  });
  const when = formatLocal(start, c.timeZone);
  const reason =
    why ??
    (conflictTitle
      ? `${when} is taken ("${conflictTitle}").`
      : `${when} is outside your working hours (${say.describeHours(c.workingHours)}).`);
  if (alternatives.length === 0) {
    await c.respond({
      step: 'no-alternatives',
      type: 'clarification',
      content: `${reason} I found no free time in the next two weeks. Which other day and time should I try?`,
    });
    return {
      status: 'WAITING_FOR_USER',
      state: { parsed: { ...parsed, start: undefined, missing: ['date', 'time'] }, pending: { kind: 'details' } },
    };
  }
  const shown = await offerOnce(
    c,
    {
      step: 'alternatives',
      type: 'info',
      content: say.offerAlternatives(reason, alternatives, c.timeZone),
      data: {
        alternatives,
        choices: numberedChoices(alternatives, c.timeZone),
        requested: { start: start.toISOString(), end: new Date(start.getTime() + parsed.durationMinutes * 60_000).toISOString() },
      },
    },
    'alternatives',
    alternatives,
    z.array(SlotSchema),
  );
  return { status: 'WAITING_FOR_USER', state: { parsed, pending: { kind: 'alternatives', alternatives: shown } } };
}

async function schedule(c: Conversation, parsed: ParsedRequest): Promise<TaskOutcome> {
  if (parsed.find && parsed.date && !parsed.start) return findInWindow(c, parsed);
  if (parsed.missing.length > 0 || !parsed.start) {
    await c.respond({
      step: 'ask-details',
      type: 'clarification',
      content: say.askForMissing(parsed),
      data: { missing: parsed.missing, title: parsed.title },
    });
    return { status: 'WAITING_FOR_USER', state: { parsed, pending: { kind: 'details' } } };
  }
  await c.respond({ step: 'checking', type: 'scheduling_update', content: say.CHECKING });
  const start = new Date(parsed.start);
  const end = new Date(start.getTime() + parsed.durationMinutes * 60_000);
  const existing = await calendarService.eventOfTask(c.taskId);
  if (existing) return book(c, parsed, existing.startsAt);
  if (!isWithinWorkingHours(start, end, c.workingHours, c.timeZone)) return offer(c, parsed, start);
  return book(c, parsed, start);
}

async function cancelOne(c: Conversation, candidate: CancelCandidate, scope?: 'occurrence' | 'series'): Promise<TaskOutcome> {
  if (candidate.recurrence && !scope) {
    const day = formatLocal(new Date(candidate.start), c.timeZone);
    const choices: Choice[] = [
      { label: `Only ${day}`, value: 'only this one' },
      { label: 'The whole series', value: 'the whole series' },
    ];
    await c.respond({
      step: 'which-scope',
      type: 'clarification',
      content: `"${candidate.title}" repeats ${describeRule(candidate.recurrence, c.timeZone)}. Cancel only ${day}, or the whole series?`,
      data: { choices },
    });
    return { status: 'WAITING_FOR_USER', state: { pending: { kind: 'scope', candidate } } };
  }
  // Once cancelled the event no longer matches a search; a re-run must find it from here.
  await taskRepository.rememberCancellation({ taskId: c.taskId, turn: c.turn, candidate, ...(scope && { scope }) });
  const start = new Date(candidate.start);
  const event =
    candidate.recurrence && scope === 'occurrence'
      ? await calendarBooking.cancelOccurrence({ eventId: candidate.eventId, userId: c.userId, start })
      : await calendarBooking.cancelEvent({ eventId: candidate.eventId, userId: c.userId });
  if (!event) throw new Error(`event ${candidate.eventId} vanished`);
  if (candidate.recurrence && scope === 'occurrence') await publish(c.userId, event);
  else await unpublish(c.userId, event.id);
  const what = candidate.recurrence
    ? scope === 'occurrence'
      ? ' (this one only)'
      : ` (the whole series, ${describeRule(candidate.recurrence, c.timeZone)})`
    : '';
  await c.respond({
    step: 'cancelled',
    type: 'cancellation',
    content: say.cancellation(event.title, candidate.recurrence ? start : event.startsAt, c.timeZone) + what,
    data: { eventId: event.id, ...(candidate.recurrence && { scope, occurrence: candidate.start }) },
  });
  return { status: 'COMPLETED', state: {}, result: { cancelledEventId: event.id } };
}

async function cancel(c: Conversation, parsed: ParsedRequest): Promise<TaskOutcome> {
  const upcoming = await calendarService.busyBetween(
    c.userId,
    c.now,
    new Date(c.now.getTime() + calendarService.SERIES_HORIZON_DAYS * 86_400_000),
  );
  const target = {
    attendees: parsed.attendees,
    ...(parsed.date && { date: parsed.date }),
    ...(parsed.time && { time: parsed.time }),
    ...(parsed.subject && { subject: parsed.subject }),
  };
  const matching = upcoming.filter((e) => e.start >= c.now && matchesTarget(target, e, parsed.explicitTimeZone ?? c.timeZone));
  // A series is one candidate (its next matching occurrence) unless a day was named.
  const candidates = toCandidates(matching);
  if (candidates.length === 0) {
    await c.respond({
      step: 'nothing-to-cancel',
      type: 'info',
      content: 'I could not find an upcoming meeting that matches. Nothing was cancelled.',
    });
    return { status: 'COMPLETED', state: { parsed }, result: { cancelledEventId: null } };
  }
  if (candidates.length === 1) return cancelOne(c, candidates[0]!, parsed.scope);
  const offered = candidates.slice(0, 5);
  const list = offered.map((o, i) => `${i + 1}) ${o.title}, ${formatLocal(new Date(o.start), c.timeZone)}`).join('  ');
  const content = `Which meeting should I cancel? ${list}. Reply "the first one", "the second one" or its time.`;
  const data = { candidates: offered, choices: numberedChoices(offered, c.timeZone) };
  const shown = await offerOnce(
    c,
    { step: 'which-to-cancel', type: 'clarification', content, data },
    'candidates',
    offered,
    z.array(CancelCandidateSchema),
  );
  return { status: 'WAITING_FOR_USER', state: { parsed, pending: { kind: 'cancel-choice', candidates: shown } } };
}

/**
 * Decides what this turn's `input` means given what the agent was waiting for (`state`), acts on
 * it (books, offers, cancels, asks) and says so through `respond`. Returns what the task comes to;
 * rejects when a step failed, for the turn to be re-run (every step is safe to repeat).
 */
export async function converse(
  turn: ConversationTurn,
  input: string,
  state: AgentState,
  respond: Respond,
  report: Report = async () => {},
): Promise<TaskOutcome> {
  try {
    return await converseTurn(turn, input, state, respond, report);
  } catch (err) {
    if (err instanceof CalDavError) return calendarTrouble({ ...turn, respond, report }, err);
    throw err;
  }
}

async function converseTurn(
  turn: ConversationTurn,
  input: string,
  state: AgentState,
  respond: Respond,
  report: Report,
): Promise<TaskOutcome> {
  const c: Conversation = { ...turn, respond, report };
  const opts = { now: turn.now, timeZone: turn.timeZone };
  const pending = state.pending;
  const previous = state.parsed;
  if (state.cancelling?.turn === turn.turn) return cancelOne(c, state.cancelling.candidate, state.cancelling.scope ?? 'series');

  const route = routeMessage(input, pending, opts);
  if (route === 'exit') {
    const what =
      pending && pending.kind !== 'request'
        ? 'I dropped that question; nothing was changed.'
        : 'There was nothing to stop; nothing was changed.';
    await respond({ step: 'closed', type: 'info', content: `OK. ${what}` });
    return { status: 'COMPLETED', state: {}, result: { closed: true } };
  }
  if (route === 'unclear' && pending) return askAgain(c, pending, state);
  if (route === 'answer' && pending) {
    const answered = await answer(c, input, pending, previous, state);
    if (answered) return answered;
  }
  // A new request (or an answer to a question that only merges into a new parse).
  const parsed =
    route === 'answer' && pending?.kind === 'details' && previous
      ? mergeClarification(previous, input, opts)
      : parseSchedulingRequest(input, opts);
  switch (parsed.intent) {
    case 'cancel':
      return cancel(c, parsed);
    case 'reschedule':
      return reschedule(c, parsed);
    case 'agenda':
      return answerAgenda(c, parsed);
    case 'availability':
      return answerAvailability(c, parsed);
    case 'clear':
      return clearDay(c, parsed);
    case 'unknown':
      await respond({
        step: 'unparseable',
        type: 'clarification',
        content: say.unparseable(),
        data: { examples: [...say.EXAMPLE_REQUESTS] },
      });
      return { status: 'WAITING_FOR_USER', state: { pending: { kind: 'request' } } };
    default:
      return schedule(c, parsed);
  }
}

/** The answer to a pending choice; undefined when the answer is a new date/time to parse instead. */
async function answer(
  c: Conversation,
  input: string,
  pending: Pending,
  previous: ParsedRequest | undefined,
  state: AgentState,
): Promise<TaskOutcome | undefined> {
  const opts = { now: c.now, timeZone: c.timeZone };
  switch (pending.kind) {
    case 'alternatives': {
      if (!previous) return undefined;
      const choice = parseAlternativeChoice(input, pending.alternatives, opts);
      if (choice !== null) return book(c, previous, new Date(pending.alternatives[choice]!.start), true);
      const merged = mergeClarification({ ...previous, start: undefined, missing: ['date', 'time'] }, input, opts);
      if (merged.start) return schedule(c, merged);
      return askAgain(c, pending, state);
    }
    case 'cancel-choice': {
      const choice = parseAlternativeChoice(input, pending.candidates, opts);
      if (choice !== null) return cancelOne(c, pending.candidates[choice]!, previous?.scope);
      return askAgain(c, pending, state);
    }
    case 'move-choice': {
      const choice = parseAlternativeChoice(input, pending.candidates, opts);
      if (choice !== null && previous) return moveTo(c, previous, pending.candidates[choice]!);
      return askAgain(c, pending, state);
    }
    case 'scope':
      return cancelOne(c, pending.candidate, ONLY_THIS.test(input) ? 'occurrence' : 'series');
    case 'clear':
      return clearConfirmed(c, pending.candidates, YES.test(input));
    case 'confirm':
      if (!previous) return undefined;
      if (YES.test(input)) return schedule(c, previous);
      await c.respond({ step: 'declined', type: 'info', content: 'OK, nothing was booked.' });
      return { status: 'COMPLETED', state: {}, result: { closed: true } };
    default:
      return undefined;
  }
}

/** A short question when a message fits neither the pending question nor a request of its own. */
async function askAgain(c: Conversation, pending: Pending, state: AgentState): Promise<TaskOutcome> {
  const out = { status: 'WAITING_FOR_USER' as const, state };
  const leave = 'or say "never mind" to drop it.';
  switch (pending.kind) {
    case 'alternatives':
      await c.respond({
        step: 'which-alternative',
        type: 'clarification',
        content: `Which time should I book? ${say.listSlots(pending.alternatives, c.timeZone)}. Reply "the first one", "the second one" or a time, ${leave}`,
        data: { alternatives: pending.alternatives, choices: numberedChoices(pending.alternatives, c.timeZone) },
      });
      return out;
    case 'cancel-choice':
    case 'move-choice':
      await c.respond({
        step: pending.kind === 'cancel-choice' ? 'which-to-cancel-again' : 'which-to-move-again',
        type: 'clarification',
        content: `Which one? Reply "the first one", "the second one" or its time, ${leave}`,
        data: { candidates: pending.candidates, choices: numberedChoices(pending.candidates, c.timeZone) },
      });
      return out;
    case 'scope':
      await c.respond({
        step: 'which-scope-again',
        type: 'clarification',
        content: `Only this one, or the whole series? ${leave.charAt(0).toUpperCase()}${leave.slice(1)}`,
        data: {
          choices: [
            { label: 'Only this one', value: 'only this one' },
            { label: 'The whole series', value: 'the whole series' },
          ],
        },
      });
      return out;
    case 'confirm':
    case 'clear':
      await c.respond({
        step: 'yes-or-no',
        type: 'clarification',
        content: `Yes or no? ${leave}`,
        data: {
          choices: [
            { label: 'Yes', value: 'yes' },
            { label: 'No', value: 'no' },
          ],
        },
      });
      return out;
    default: {
      const title = state.parsed ? ` for "${state.parsed.title}"` : '';
      await c.respond({
        step: 'which-details',
        type: 'clarification',
        content: `I need a day and a time${title}, for example "tomorrow at 3pm", ${leave}`,
      });
      return out;
    }
  }
}
