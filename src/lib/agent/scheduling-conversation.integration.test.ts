import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '@/lib/db/client';
import { calendarEvents } from '@/lib/db/schema';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import type { TaskOutcome } from '@/lib/repositories/scheduling-task.repository';
import { DEFAULT_WORKING_HOURS } from '@/scheduling/availability';
import { converse, type ConversationTurn, type Respond } from './scheduling-conversation';
import { ALL_DAY, fakeRespond, freshAgentUser, NOW, replyTo, startConversation, TZ } from '@test/helpers/agent-conversation';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';

// The conversation on its own: no queue, no worker, no chat. `respond` is a fake that records
// what the agent says; the calendar and the task table are a real database.

const TOMORROW_3PM = '2030-03-06T20:00:00.000Z';

/** The event a completed turn booked or cancelled. */
function eventIdOf(outcome: TaskOutcome, field: 'eventId' | 'cancelledEventId' = 'eventId'): unknown {
  if (outcome.status !== 'COMPLETED') throw new Error(`the turn is ${outcome.status}, not COMPLETED`);
  return outcome.result[field];
}

describe.each(DATABASE_KINDS)('scheduling conversation on %s (fake respond)', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let userId: string;

  beforeAll(async () => {
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => {
    await teardown();
  });
  beforeEach(async () => {
    userId = await freshAgentUser(database);
  });

  async function turnOf(request: string, overrides: Partial<ConversationTurn> = {}): Promise<ConversationTurn> {
    const task = await taskRepository.insertTask({ userId, request, timeZone: TZ });
    return { taskId: task.id, userId, turn: 0, timeZone: TZ, now: NOW, workingHours: ALL_DAY, ...overrides };
  }

  /** Runs turn 0 of a new task for `request`. */
  const start = (request: string, respond?: Respond, overrides?: Partial<ConversationTurn>) =>
    startConversation(userId, request, respond, overrides);
  const answer = replyTo;

  it('books a free slot: says it is checking, then confirms with the event in data', async () => {
    const chat = fakeRespond();
    const { outcome } = await start('book 30 min with Dana tomorrow at 3pm', chat.respond);
    expect(chat.steps()).toEqual(['scheduling_update:checking', 'confirmation:confirmed']);
    expect(chat.said[1]!.content).toMatch(/^Meeting scheduled: Meeting with Dana, Wed, Mar 6, 3:00\sPM \(30 min\)$/);
    expect(chat.said[1]!.data).toMatchObject({ startsAt: TOMORROW_3PM, title: 'Meeting with Dana', attendees: ['Dana'] });
    expect(outcome.status).toBe('COMPLETED');
    const [event] = await database.db.select().from(calendarEvents);
    expect(event!.startsAt.toISOString()).toBe(TOMORROW_3PM);
    expect(outcome).toMatchObject({ result: { eventId: event!.id } });
  });

  it('asks for what is missing and books with the answer of the next turn', async () => {
    const chat = fakeRespond();
    const { turn, outcome } = await start('set up a meeting with Lee', chat.respond);
    expect(chat.said).toEqual([
      {
        step: 'ask-details',
        type: 'clarification',
        content: 'When should I book "Meeting with Lee"? Tell me a day and a time, for example "tomorrow at 3pm".',
        data: { missing: ['date', 'time'], title: 'Meeting with Lee' },
      },
    ]);
    expect(outcome).toMatchObject({ status: 'WAITING_FOR_USER', state: { pending: { kind: 'details' } } });

    const next = fakeRespond();
    const booked = await answer(turn, 'tomorrow at 4pm', outcome.state, next.respond);
    expect(next.steps()).toEqual(['scheduling_update:checking', 'confirmation:confirmed']);
    expect(booked.status).toBe('COMPLETED');
    expect(next.said[1]!.data).toMatchObject({ startsAt: '2030-03-06T21:00:00.000Z' });
  });

  it('offers free slots for a taken one (a volatile message), and books the one picked', async () => {
    await start('book 1h with Lee tomorrow at 10am');
    const chat = fakeRespond();
    const { turn, outcome } = await start('schedule a call with Sam tomorrow at 10:30', chat.respond);
    expect(chat.steps()).toEqual(['scheduling_update:checking', 'info:alternatives']);
    const offer = chat.said[1]!;
    expect(offer.volatile).toBe(true);
    expect(offer.content).toMatch(/is taken \("Meeting with Lee"\)/);
    const alternatives = (offer.data as { alternatives: { start: string; end: string }[] }).alternatives;
    expect(alternatives.length).toBeGreaterThan(0);
    expect(alternatives.length).toBeLessThanOrEqual(3);
    expect(outcome).toEqual({
      status: 'WAITING_FOR_USER',
      state: { parsed: expect.anything(), pending: { kind: 'alternatives', alternatives } },
    });

    const next = fakeRespond();
    const booked = await answer(turn, 'the first one', outcome.state, next.respond);
    expect(booked.status).toBe('COMPLETED');
    expect(next.steps()).toEqual(['confirmation:confirmed']);
    expect((next.said[0]!.data as { startsAt: string }).startsAt).toBe(alternatives[0]!.start);
  });

  it('keeps the choices of an offer the user already got when the turn is re-run', async () => {
    await start('book 1h with Lee tomorrow at 10am');
    const seen = [{ start: '2030-03-07T15:00:00.000Z', end: '2030-03-07T15:30:00.000Z' }];
    const chat = fakeRespond(() => ({ alternatives: seen, requested: {} }));
    const { outcome } = await start('schedule a call with Sam tomorrow at 10:30', chat.respond);
    expect(outcome.state.pending).toEqual({ kind: 'alternatives', alternatives: seen });
  });

  it('offers free slots outside working hours, naming the hours', async () => {
    const chat = fakeRespond();
    const { outcome } = await start('book 30 min with Dana tomorrow at 7am', chat.respond, { workingHours: DEFAULT_WORKING_HOURS });
    expect(outcome.status).toBe('WAITING_FOR_USER');
    expect(chat.said.at(-1)!.type).toBe('info');
    expect(chat.said.at(-1)!.content).toMatch(/outside your working hours \(Mon-Fri 9:00 AM - 5:00 PM\)/);
    expect(await database.db.select().from(calendarEvents)).toEqual([]);
  });

  it('answers an unparseable request with two examples and waits for a request', async () => {
    const chat = fakeRespond();
    const { outcome } = await start('asdfgh qwerty', chat.respond);
    expect(chat.said).toHaveLength(1);
    expect(chat.said[0]).toMatchObject({
      type: 'clarification',
      data: { examples: ['Book 30 min with Dana tomorrow at 3pm', 'Cancel my 3pm with Dana tomorrow'] },
    });
    expect(outcome).toEqual({ status: 'WAITING_FOR_USER', state: { pending: { kind: 'request' } } });
  });

  it('cancels the one matching meeting, remembering it in the task before cancelling', async () => {
    const { outcome: booked } = await start('book 30 min with Dana tomorrow at 3pm');
    const eventId = eventIdOf(booked);
    const chat = fakeRespond();
    const { turn, outcome } = await start('cancel my 3pm with Dana tomorrow', chat.respond);
    expect(chat.steps()).toEqual(['cancellation:cancelled']);
    expect(chat.said[0]!.data).toEqual({ eventId });
    expect(outcome).toEqual({ status: 'COMPLETED', state: {}, result: { cancelledEventId: eventId } });
    const [event] = await database.db.select().from(calendarEvents);
    expect(event!.status).toBe('CANCELLED');
    const task = await taskRepository.findOwnedTask({ taskId: turn.taskId, userId });
    expect(taskRepository.agentStateOf(task!).cancelling).toMatchObject({ turn: 0, candidate: { eventId, title: 'Meeting with Dana' } });
  });

  it('says so when nothing matches a cancel', async () => {
    const chat = fakeRespond();
    const { outcome } = await start('cancel my 3pm with Dana tomorrow', chat.respond);
    expect(chat.steps()).toEqual(['info:nothing-to-cancel']);
    expect(outcome).toMatchObject({ status: 'COMPLETED', result: { cancelledEventId: null } });
  });

  it('asks which one when several meetings match, and cancels the one picked', async () => {
    await start('book 30 min with Dana tomorrow at 3pm');
    const { outcome: later } = await start('book 30 min with Dana tomorrow at 5pm');
    const chat = fakeRespond();
    const { turn, outcome } = await start('cancel my meeting with Dana tomorrow', chat.respond);
    expect(chat.steps()).toEqual(['clarification:which-to-cancel']);
    expect(chat.said[0]!.volatile).toBe(true);
    expect(outcome.state.pending).toMatchObject({
      kind: 'cancel-choice',
      candidates: [{ title: 'Meeting with Dana' }, { title: 'Meeting with Dana' }],
    });

    const unclear = fakeRespond();
    expect(await answer(turn, 'hmm', outcome.state, unclear.respond)).toEqual({ status: 'WAITING_FOR_USER', state: outcome.state });
    expect(unclear.steps()).toEqual(['clarification:which-to-cancel-again']);

    const next = fakeRespond();
    const cancelled = await answer(turn, 'the second one', outcome.state, next.respond);
    expect(cancelled).toMatchObject({ status: 'COMPLETED', result: { cancelledEventId: eventIdOf(later) } });
  });

  it('a re-run of a turn that already cancelled its event confirms that cancellation', async () => {
    const { outcome: booked } = await start('book 30 min with Dana tomorrow at 3pm');
    const eventId = eventIdOf(booked);
    const failing: Respond = async (message) => {
      if (message.step === 'cancelled') throw new Error('delivery failed');
      return {};
    };
    const turn = await turnOf('cancel my 3pm with Dana tomorrow');
    await expect(converse(turn, 'cancel my 3pm with Dana tomorrow', {}, failing)).rejects.toThrow('delivery failed');
    // The event is cancelled now and no longer matches a search: the re-run goes by the task's memory.
    const task = await taskRepository.findOwnedTask({ taskId: turn.taskId, userId });
    const chat = fakeRespond();
    const outcome = await converse(turn, 'cancel my 3pm with Dana tomorrow', taskRepository.agentStateOf(task!), chat.respond);
    expect(chat.steps()).toEqual(['cancellation:cancelled']);
    expect(outcome).toMatchObject({ status: 'COMPLETED', result: { cancelledEventId: eventId } });
  });

  it('a re-run of a turn that booked before its confirmation failed books nothing twice', async () => {
    const failing: Respond = async (message) => {
      if (message.step === 'confirmed') throw new Error('delivery failed');
      return {};
    };
    const turn = await turnOf('book 45 min with Kim tomorrow at 2pm');
    await expect(converse(turn, 'book 45 min with Kim tomorrow at 2pm', {}, failing)).rejects.toThrow('delivery failed');
    const chat = fakeRespond();
    const outcome = await converse(turn, 'book 45 min with Kim tomorrow at 2pm', {}, chat.respond);
    expect(outcome.status).toBe('COMPLETED');
    expect(chat.steps()).toEqual(['scheduling_update:checking', 'confirmation:confirmed']);
    expect(await database.db.select().from(calendarEvents)).toHaveLength(1);
  });
});
