import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '@/lib/db/client';
import { calendarEvents } from '@/lib/db/schema';
import * as calendarBooking from '@/lib/services/calendar-booking.service';
import * as calendarService from '@/lib/services/calendar.service';
import { bookingUndone, moveUndone, undoBookingOf } from './calendar-access';
import { converse, type Respond } from './scheduling-conversation';
import { fakeRespond, freshAgentUser, NOW, replyTo, startConversation, TZ } from '@test/helpers/agent-conversation';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';

// "clear my afternoon" and moving one occurrence of a series, on the built-in calendar of a real database.

describe.each(DATABASE_KINDS)('clearing part of a day and moving one occurrence on %s', (kind) => {
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

  const start = (request: string, respond?: Respond) => startConversation(userId, request, respond);
  const reply = replyTo;
  const confirmed = async () =>
    (await database.db.select().from(calendarEvents))
      .filter((e) => e.status === 'CONFIRMED')
      .map((e) => e.title)
      .sort();

  it('"clear my afternoon tomorrow" lists the afternoon meetings with yes/no buttons and cancels them on yes', async () => {
    await start('book 30 min with Dana tomorrow at 3pm');
    await start('lunch with Priya tomorrow at 12:30');
    await start('book 1h with Lee tomorrow at 10am');
    const ask = fakeRespond();
    const { turn, outcome } = await start('clear my afternoon tomorrow', ask.respond);
    expect(outcome.status).toBe('WAITING_FOR_USER');
    expect(ask.steps()).toEqual(['clarification:clear-confirm']);
    expect(ask.said[0]!.content).toMatch(
      /^Cancel these 2 meetings .*1\) Lunch with Priya, Wed, Mar 6, 12:30\sPM {2}2\) Meeting with Dana, Wed, Mar 6, 3:00\sPM\. Reply yes or no\.$/,
    );
    expect(ask.said[0]!.data).toMatchObject({ choices: [{ label: 'Cancel all 2', value: 'yes' }, { value: 'no' }] });
    const done = fakeRespond();
    expect(await reply(turn, 'yes', outcome.state, done.respond)).toMatchObject({ status: 'COMPLETED', result: { cleared: 2 } });
    expect(done.steps()).toEqual(['cancellation:cleared']);
    expect(await confirmed()).toEqual(['Meeting with Lee']);
  });

  it('"no" keeps them, a typed non-answer asks yes or no again, and an empty afternoon is said plainly', async () => {
    await start('book 30 min with Dana tomorrow at 3pm');
    const { turn, outcome } = await start('clear my afternoon tomorrow');
    const again = fakeRespond();
    expect(await reply(turn, 'hmm', outcome.state, again.respond)).toEqual({ status: 'WAITING_FOR_USER', state: outcome.state });
    expect(again.steps()).toEqual(['clarification:yes-or-no']);
    const kept = fakeRespond();
    await reply(turn, 'no', outcome.state, kept.respond);
    expect(kept.steps()).toEqual(['info:clear-kept']);
    expect(await confirmed()).toEqual(['Meeting with Dana']);
    const empty = fakeRespond();
    expect((await start('clear my morning tomorrow', empty.respond)).outcome.status).toBe('COMPLETED');
    expect(empty.steps()).toEqual(['info:nothing-to-clear']);
  });

  it('clearing a day cancels only that occurrence of a series', async () => {
    await start('meet Bob every Monday at 9 for standup');
    const { turn, outcome } = await start('clear my calendar on March 18');
    await reply(turn, 'yes', outcome.state, fakeRespond().respond);
    const [series] = await database.db.select().from(calendarEvents);
    expect(series).toMatchObject({ status: 'CONFIRMED', excludedStarts: ['2030-03-18T13:00:00.000Z'] });
  });

  it('"move the standup on March 18 to 10am" moves that occurrence only, keeping the series; a re-run moves nothing more', async () => {
    await start('meet Bob every Monday at 9 for standup');
    const chat = fakeRespond();
    const { turn } = await start('move the standup on March 18 to 10am', chat.respond);
    expect(chat.steps()).toEqual(['confirmation:moved']);
    expect(chat.said[0]!.content).toMatch(/^Meeting moved: Standup, now Mon, Mar 18, 10:00\sAM \(30 min\), this one only/);
    const rows = await database.db.select().from(calendarEvents);
    const series = rows.find((r) => r.recurrence)!;
    const single = rows.find((r) => !r.recurrence)!;
    expect(series.excludedStarts).toEqual(['2030-03-18T13:00:00.000Z']);
    expect(single).toMatchObject({ title: 'Standup', attendees: ['Bob'], taskId: turn.taskId });
    expect(single.startsAt.toISOString()).toBe('2030-03-18T14:00:00.000Z');
    const day = await calendarService.busyBetween(userId, new Date('2030-03-18T04:00:00Z'), new Date('2030-03-19T04:00:00Z'));
    expect(day.map((o) => o.start.toISOString())).toEqual(['2030-03-18T14:00:00.000Z']);
    // The turn again, as a retried job: still one moved meeting.
    await converse(turn, 'move the standup on March 18 to 10am', {}, fakeRespond().respond);
    expect(await database.db.select().from(calendarEvents)).toHaveLength(2);
    // Other weeks keep 9:00.
    const next = await calendarService.busyBetween(userId, new Date('2030-03-25T04:00:00Z'), new Date('2030-03-26T04:00:00Z'));
    expect(next.map((o) => o.start.toISOString())).toEqual(['2030-03-25T13:00:00.000Z']);
  });

  it('a failed task takes back its occurrence move: the moved meeting is cancelled and the occurrence is back in the series', async () => {
    await start('meet Bob every Monday at 9 for standup');
    const { turn } = await start('move the standup on March 18 to 10am');
    const message = await undoBookingOf(turn.taskId, userId, TZ);
    expect(message).toBe(moveUndone('Standup', new Date('2030-03-18T13:00:00.000Z'), TZ));
    const rows = await database.db.select().from(calendarEvents);
    expect(rows.find((r) => r.recurrence)!.excludedStarts).toEqual([]);
    expect(rows.find((r) => !r.recurrence)!.status).toBe('CANCELLED');
    const day = await calendarService.busyBetween(userId, new Date('2030-03-18T04:00:00Z'), new Date('2030-03-19T04:00:00Z'));
    expect(day.map((o) => o.start.toISOString())).toEqual(['2030-03-18T13:00:00.000Z']);
    // Taken back once: a second run (a retried dead-letter) changes nothing more.
    await undoBookingOf(turn.taskId, userId, TZ);
    expect((await database.db.select().from(calendarEvents)).find((r) => r.recurrence)!.excludedStarts).toEqual([]);
  });

  it('a failed task moves back a meeting it moved, unless its old time was taken since', async () => {
    await start('book 30 min with Dana tomorrow at 3pm');
    const { turn } = await start('move my 3pm with Dana to Friday at 10am');
    const [moved] = await database.db.select().from(calendarEvents);
    expect(moved!.startsAt.toISOString()).toBe('2030-03-08T15:00:00.000Z');
    expect(await undoBookingOf(turn.taskId, userId, TZ)).toBe(moveUndone('Meeting with Dana', new Date('2030-03-06T20:00:00.000Z'), TZ));
    const [back] = await database.db.select().from(calendarEvents);
    expect(back).toMatchObject({ id: moved!.id, status: 'CONFIRMED' });
    expect(back!.startsAt.toISOString()).toBe('2030-03-06T20:00:00.000Z');
    // Run again (a retried dead-letter): still back, said again.
    expect(await undoBookingOf(turn.taskId, userId, TZ)).toBe(moveUndone('Meeting with Dana', new Date('2030-03-06T20:00:00.000Z'), TZ));

    // Moved again, then its old slot is booked by someone else: it stays where it is.
    const { turn: again } = await start('move my 3pm with Dana to Friday at 10am');
    await start('book 30 min with Lee tomorrow at 3pm');
    expect(await undoBookingOf(again.taskId, userId, TZ)).toBeUndefined();
    const dana = (await database.db.select().from(calendarEvents)).find((r) => r.id === moved!.id)!;
    expect(dana.startsAt.toISOString()).toBe('2030-03-08T15:00:00.000Z');
  });

  it('a failed task takes back its booking (CANCELLED, out of busy times), and a task that booked nothing has nothing to take back', async () => {
    const { turn } = await start('book 30 min with Dana tomorrow at 3pm');
    expect(await undoBookingOf(turn.taskId, userId, TZ)).toBe(bookingUndone('Meeting with Dana', new Date('2030-03-06T20:00:00.000Z'), TZ));
    expect(await calendarService.busyBetween(userId, NOW, new Date('2030-03-08T00:00:00Z'))).toEqual([]);
    const { turn: nothing } = await start('what is on my calendar this week?');
    expect(await undoBookingOf(nothing.taskId, userId, TZ)).toBeUndefined();
  });

  it('moving one occurrence 15 minutes later does not clash with itself, and a real clash moves nothing', async () => {
    await start('meet Bob every Monday at 9 for standup');
    const later = fakeRespond();
    await start("push just March 11's standup 15 minutes later", later.respond);
    expect(later.steps()).toEqual(['confirmation:moved']);
    await start('book 1h with Lee on March 18 at 10am');
    const blocked = fakeRespond();
    await start('move the standup on March 18 to 10am', blocked.respond);
    expect(blocked.steps()).toEqual(['info:move-conflict']);
    const series = (await database.db.select().from(calendarEvents)).find((r) => r.recurrence)!;
    expect(series.excludedStarts).toEqual(['2030-03-11T13:00:00.000Z']);
  });

  it('GET /api/calendar/events (listEvents) expands a series into its occurrences in the window, without cancelled ones', async () => {
    await start('meet Bob every Monday at 9 for standup');
    await start('cancel the standup on March 18');
    await start('book 30 min with Dana tomorrow at 3pm');
    const listed = await calendarService.listEvents(userId, new Date('2030-03-06T00:00:00Z'), new Date('2030-04-02T00:00:00Z'));
    expect(listed.map((e) => [e.title, e.startsAt.toISOString(), e.recurrence ?? null])).toEqual([
      ['Meeting with Dana', '2030-03-06T20:00:00.000Z', null],
      ['Standup', '2030-03-11T13:00:00.000Z', 'FREQ=WEEKLY;BYDAY=MO'],
      ['Standup', '2030-03-25T13:00:00.000Z', 'FREQ=WEEKLY;BYDAY=MO'],
      ['Standup', '2030-04-01T13:00:00.000Z', 'FREQ=WEEKLY;BYDAY=MO'],
    ]);
    // A window that starts after the series' first occurrence still finds it.
    const later = await calendarService.listEvents(userId, new Date('2030-06-01T00:00:00Z'), new Date('2030-06-08T00:00:00Z'));
    expect(later.map((e) => e.startsAt.toISOString())).toEqual(['2030-06-03T13:00:00.000Z']);
  });

  it('GET /api/calendar/events lists a cancelled series like a cancelled single event: its occurrences in the window, status CANCELLED', async () => {
    await start('meet Bob every Monday at 9 for standup');
    await start('book 30 min with Dana tomorrow at 3pm');
    const rows = await database.db.select().from(calendarEvents);
    for (const row of rows) await calendarBooking.cancelEvent({ eventId: row.id, userId });
    const listed = await calendarService.listEvents(userId, new Date('2030-03-06T00:00:00Z'), new Date('2030-03-19T00:00:00Z'));
    expect(listed.map((e) => [e.title, e.startsAt.toISOString(), e.status])).toEqual([
      ['Meeting with Dana', '2030-03-06T20:00:00.000Z', 'CANCELLED'],
      ['Standup', '2030-03-11T13:00:00.000Z', 'CANCELLED'],
      ['Standup', '2030-03-18T13:00:00.000Z', 'CANCELLED'],
    ]);
    // Cancelled meetings stay out of everything that counts as busy.
    expect(await calendarService.busyBetween(userId, new Date('2030-03-06T00:00:00Z'), new Date('2030-03-19T00:00:00Z'))).toEqual([]);
  });
});
