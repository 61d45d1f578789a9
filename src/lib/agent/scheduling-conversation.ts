import { z } from 'zod';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import type { TaskOutcome } from '@/lib/repositories/scheduling-task.repository';
import * as calendarService from '@/lib/services/calendar.service';
import * as say from '@/scheduling/agent-messages';
import { CancelCandidateSchema, SlotSchema, type AgentState, type CancelCandidate } from '@/scheduling/agent-state';
import { mergeClarification, parseAlternativeChoice } from '@/scheduling/answers';
import { findAlternatives, formatLocal, isWithinWorkingHours, type WorkingHours } from '@/scheduling/availability';
import { parseSchedulingRequest, type ParsedRequest } from '@/scheduling/parse-request';
import { formatHm, formatYmd, getZonedParts } from '@/scheduling/tz';

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

interface Conversation extends ConversationTurn {
  respond: Respond;
}

/**
 * Sends a volatile offer (choices computed from the calendar now) and returns the choices the
 * user actually got: ours, or on a re-run the ones the first message carried.
 */
async function offerOnce<T>(
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

async function book(c: Conversation, parsed: ParsedRequest, start: Date): Promise<TaskOutcome> {
  const end = new Date(start.getTime() + parsed.durationMinutes * 60_000);
  const outcome = await calendarService.bookEvent({
    userId: c.userId,
    taskId: c.taskId,
    title: parsed.title,
    startsAt: start,
    endsAt: end,
    attendees: parsed.attendees,
  });
  if ('conflicts' in outcome) return offer(c, parsed, start, outcome.conflicts[0]!.title);
  const event = outcome.booked;
  await c.respond({
    step: 'confirmed',
    type: 'confirmation',
    content: say.confirmation(event.title, event.startsAt, c.timeZone),
    data: {
      eventId: event.id,
      startsAt: event.startsAt.toISOString(),
      endsAt: event.endsAt.toISOString(),
      title: event.title,
      attendees: event.attendees,
    },
  });
  return { status: 'COMPLETED', state: { parsed }, result: { eventId: event.id } };
}

/** The requested slot is taken or outside working hours: offer up to three free ones. */
async function offer(c: Conversation, parsed: ParsedRequest, start: Date, conflictTitle?: string): Promise<TaskOutcome> {
  const from = new Date(c.now.getTime());
  const busy = await calendarService.findOverlapping(c.userId, from, new Date(from.getTime() + 16 * 86_400_000));
  const alternatives = findAlternatives({
    desiredStart: start,
    durationMinutes: parsed.durationMinutes,
    busy: busy.map((e) => ({ start: e.startsAt, end: e.endsAt })),
    workingHours: c.workingHours,
    timeZone: c.timeZone,
    now: c.now,
  });
  const when = formatLocal(start, c.timeZone);
  const reason = conflictTitle
    ? `${when} is taken ("${conflictTitle}").`
    : `${when} is outside your working hours (${say.describeHours(c.workingHours)}).`;
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

async function cancelOne(c: Conversation, candidate: CancelCandidate): Promise<TaskOutcome> {
  // Once cancelled the event no longer matches a search; a re-run must find it from here.
  await taskRepository.rememberCancellation({ taskId: c.taskId, turn: c.turn, candidate });
  const event = await calendarService.cancelEvent({ eventId: candidate.eventId, userId: c.userId });
  if (!event) throw new Error(`event ${candidate.eventId} vanished`);
  await c.respond({
    step: 'cancelled',
    type: 'cancellation',
    content: say.cancellation(event.title, event.startsAt, c.timeZone),
    data: { eventId: event.id },
  });
  return { status: 'COMPLETED', state: {}, result: { cancelledEventId: event.id } };
}

function matchesCancel(parsed: ParsedRequest, event: { startsAt: Date; attendees: string[] }, timeZone: string): boolean {
  // The parse's date and time are wall-clock values in the zone the user named, else theirs.
  const local = getZonedParts(event.startsAt, parsed.explicitTimeZone ?? timeZone);
  if (parsed.date && formatYmd(local) !== parsed.date) return false;
  if (parsed.time && formatHm(local.hour, local.minute) !== parsed.time) return false;
  const wanted = parsed.attendees.map((a) => a.toLowerCase());
  return wanted.every((name) => event.attendees.some((a) => a.toLowerCase() === name));
}

async function cancel(c: Conversation, parsed: ParsedRequest): Promise<TaskOutcome> {
  const upcoming = await calendarService.upcomingEvents(c.userId, c.now);
  const candidates: CancelCandidate[] = upcoming
    .filter((e) => matchesCancel(parsed, e, c.timeZone))
    .map((e) => ({ eventId: e.id, title: e.title, start: e.startsAt.toISOString(), end: e.endsAt.toISOString() }));
  if (candidates.length === 0) {
    await c.respond({
      step: 'nothing-to-cancel',
      type: 'info',
      content: 'I could not find an upcoming meeting that matches. Nothing was cancelled.',
    });
    return { status: 'COMPLETED', state: { parsed }, result: { cancelledEventId: null } };
  }
  if (candidates.length === 1) return cancelOne(c, candidates[0]!);
  const offered = candidates.slice(0, 5);
  const list = offered.map((o, i) => `${i + 1}) ${o.title}, ${formatLocal(new Date(o.start), c.timeZone)}`).join('  ');
  const content = `Which meeting should I cancel? ${list}. Reply "the first one", "the second one" or its time.`;
  const shown = await offerOnce(
    c,
    { step: 'which-to-cancel', type: 'clarification', content, data: { candidates: offered } },
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
export async function converse(turn: ConversationTurn, input: string, state: AgentState, respond: Respond): Promise<TaskOutcome> {
  const c: Conversation = { ...turn, respond };
  const opts = { now: turn.now, timeZone: turn.timeZone };
  const pending = state.pending;
  const previous = state.parsed;
  if (state.cancelling?.turn === turn.turn) return cancelOne(c, state.cancelling.candidate);

  if (pending?.kind === 'alternatives' && previous) {
    const choice = parseAlternativeChoice(input, pending.alternatives, opts);
    if (choice !== null) return book(c, previous, new Date(pending.alternatives[choice]!.start));
    const merged = mergeClarification({ ...previous, start: undefined, missing: ['date', 'time'] }, input, opts);
    if (merged.intent === 'cancel') return cancel(c, merged);
    if (merged.start) return schedule(c, merged);
    await respond({
      step: 'which-alternative',
      type: 'clarification',
      content: `Which time should I book? ${say.listSlots(pending.alternatives, opts.timeZone)}. Reply "the first one", "the second one" or a time.`,
      data: { alternatives: pending.alternatives },
    });
    return { status: 'WAITING_FOR_USER', state };
  }
  if (pending?.kind === 'cancel-choice') {
    const choice = parseAlternativeChoice(input, pending.candidates, opts);
    if (choice !== null) return cancelOne(c, pending.candidates[choice]!);
    await respond({
      step: 'which-to-cancel-again',
      type: 'clarification',
      content: 'Which one? Reply "the first one", "the second one" or its time.',
      data: { candidates: pending.candidates },
    });
    return { status: 'WAITING_FOR_USER', state };
  }

  const parsed = pending?.kind === 'details' && previous ? mergeClarification(previous, input, opts) : parseSchedulingRequest(input, opts);
  if (parsed.intent === 'cancel') return cancel(c, parsed);
  if (parsed.intent === 'unknown') {
    await respond({
      step: 'unparseable',
      type: 'clarification',
      content: say.unparseable(),
      data: { examples: [...say.EXAMPLE_REQUESTS] },
    });
    return { status: 'WAITING_FOR_USER', state: { pending: { kind: 'request' } } };
  }
  return schedule(c, parsed);
}
