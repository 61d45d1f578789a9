import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '@/lib/db/client';
import { calendarEvents } from '@/lib/db/schema';
import type { TaskOutcome } from '@/lib/repositories/scheduling-task.repository';
import { ChoicesSchema } from '@/scheduling/agent-state';
import type { Respond } from './scheduling-conversation';
import { fakeRespond, freshAgentUser, replyTo, startConversation, TZ } from '@test/helpers/agent-conversation';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';

// Issue 12 on real databases: routing of each message while a question waits, moves, questions
// about the calendar, recurring meetings, and a slot taken between offer and pick.

describe.each(DATABASE_KINDS)('scheduling requests on %s', (kind) => {
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
  const events = () => database.db.select().from(calendarEvents);
  const eventId = (o: TaskOutcome) => (o.status === 'COMPLETED' ? o.result.eventId : undefined);

  describe('a waiting question captures nothing it should not', () => {
    for (const text of ['never mind', 'cancel that', 'stop']) {
      it(`"${text}" closes the pending question and says so`, async () => {
        const { turn, outcome } = await start('set up a meeting with Lee');
        const chat = fakeRespond();
        const closed = await reply(turn, text, outcome.state, chat.respond);
        expect(closed).toEqual({ status: 'COMPLETED', state: {}, result: { closed: true } });
        expect(chat.said).toEqual([{ step: 'closed', type: 'info', content: 'OK. I dropped that question; nothing was changed.' }]);
      });
    }

    it('an unclear reply gets a short question, and the question stays open', async () => {
      const { turn, outcome } = await start('set up a meeting with Lee');
      const chat = fakeRespond();
      expect(await reply(turn, 'hmm', outcome.state, chat.respond)).toEqual({ status: 'WAITING_FOR_USER', state: outcome.state });
      expect(chat.said[0]!.content).toMatch(/never mind/);
    });

    it('an answer and a new request from another tab each reach their own task', async () => {
      await start('book 1h with Lee tomorrow at 10am');
      const offerChat = fakeRespond();
      const { turn, outcome } = await start('schedule a call with Sam tomorrow at 10:30', offerChat.respond);
      expect(outcome.state.pending?.kind).toBe('alternatives');
      // Tab B asks about the calendar while tab A picks the first alternative: both at once.
      const agenda = fakeRespond();
      const picked = fakeRespond();
      const [question, booked] = await Promise.all([
        start("what's on my calendar tomorrow?", agenda.respond),
        reply(turn, 'option 1', outcome.state, picked.respond),
      ]);
      expect(question.outcome.status).toBe('COMPLETED');
      expect(agenda.steps()).toEqual(['info:agenda']);
      expect(booked.status).toBe('COMPLETED');
      expect(picked.steps()).toEqual(['confirmation:confirmed']);
      expect(await events()).toHaveLength(2);
    });
  });

  it('offers carry data.choices whose values answer the offer', async () => {
    await start('book 1h with Lee tomorrow at 10am');
    const chat = fakeRespond();
    const { turn, outcome } = await start('schedule a call with Sam tomorrow at 10:30', chat.respond);
    const choices = ChoicesSchema.parse(chat.said.at(-1)!.data!.choices);
    expect(choices[0]).toEqual({ label: expect.stringMatching(/^Wed, Mar 6, \d+:\d\d [AP]M$/), value: 'option 1' });
    const next = fakeRespond();
    expect((await reply(turn, choices[1]!.value, outcome.state, next.respond)).status).toBe('COMPLETED');
  });

  it('a slot taken between offer and pick gets a clear message, a new offer, and no double booking', async () => {
    await start('book 1h with Lee tomorrow at 10am');
    const { turn, outcome } = await start('schedule a call with Sam tomorrow at 10:30');
    const alternatives = (outcome.state.pending as { alternatives: { start: string; end: string }[] }).alternatives;
    await start(`book "Blocker" on ${alternatives[0]!.start.slice(0, 10)} at 4am`); // unrelated
    await database.db
      .insert(calendarEvents)
      .values({ userId, title: 'Blocker', startsAt: new Date(alternatives[0]!.start), endsAt: new Date(alternatives[0]!.end) });
    const chat = fakeRespond();
    const again = await reply(turn, 'the first one', outcome.state, chat.respond);
    expect(again.status).toBe('WAITING_FOR_USER');
    expect(chat.said.at(-1)!.content).toMatch(/^Sorry, .* was just taken \("Blocker"\); nothing was booked\./);
    const rows = await events();
    expect(rows.filter((e) => e.startsAt.toISOString() === alternatives[0]!.start)).toHaveLength(1);
  });

  it('"move my meeting with the design team to 2pm" moves that meeting, keeping its id', async () => {
    const { outcome: booked } = await start('book 1h with the design team tomorrow at 10am');
    const chat = fakeRespond();
    const { outcome } = await start('move my meeting with the design team to 2pm', chat.respond);
    expect(outcome).toMatchObject({ status: 'COMPLETED', result: { movedEventId: eventId(booked) } });
    expect(chat.said[0]!.content).toBe('Meeting moved: Meeting with the design team, now Wed, Mar 6, 2:00 PM (1 h)');
    const rows = await events();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.startsAt.toISOString()).toBe('2030-03-06T19:00:00.000Z');
  });

  it('"push the standup 30 minutes later" shifts it; a move onto another meeting moves nothing', async () => {
    await start('standup tomorrow at 9:30 for 15 min');
    await start('book 1h with Dana tomorrow at 11am');
    const chat = fakeRespond();
    await start('push the standup 30 minutes later', chat.respond);
    expect(chat.said[0]!.content).toMatch(/^Meeting moved: Standup, now Wed, Mar 6, 10:00 AM \(15 min\)$/);
    const blocked = fakeRespond();
    await start('move the standup to 11:15am', blocked.respond);
    expect(blocked.said[0]!.content).toMatch(/is taken \("Meeting with Dana"\)\. Nothing was moved/);
  });

  it('answers agenda and availability questions as INFO with the events or free slots', async () => {
    await start('book 1h with Dana tomorrow at 3pm');
    const agenda = fakeRespond();
    await start("what's on my calendar this week?", agenda.respond);
    expect(agenda.said[0]).toMatchObject({
      type: 'info',
      content: expect.stringMatching(/Meeting with Dana, Wed, Mar 6, 3:00 PM \(1 h\)/),
    });
    expect((agenda.said[0]!.data as { events: unknown[] }).events).toHaveLength(1);

    const busy = fakeRespond();
    await start('am I free tomorrow at 3:30pm?', busy.respond);
    expect(busy.said[0]!.content).toMatch(/^No, .* is taken: Meeting with Dana/);
    const free = fakeRespond();
    await start('when am I free tomorrow afternoon?', free.respond);
    expect(free.said[0]!.data).toMatchObject({
      free: true,
      freeSlots: [{ start: '2030-03-06T17:00:00.000Z', end: '2030-03-06T20:00:00.000Z' }, { start: '2030-03-06T21:00:00.000Z' }],
    });
  });

  it('books a recurring meeting as one series, checks each occurrence, and cancels one occurrence or the series', async () => {
    const chat = fakeRespond();
    const { outcome } = await start('meet Bob every Monday at 9 for standup', chat.respond);
    expect(outcome.status).toBe('COMPLETED');
    expect(chat.said.at(-1)!.content).toBe('Meeting scheduled: Standup, every Monday, from Mon, Mar 11, 9:00 AM (30 min)');
    const [series] = await events();
    expect(series).toMatchObject({ recurrence: 'FREQ=WEEKLY;BYDAY=MO', timeZone: TZ, attendees: ['Bob'] });

    // An occurrence three weeks out clashes with a new one-off booking.
    const clash = fakeRespond();
    await start('book 1h with Lee on March 25 at 9am', clash.respond);
    expect(clash.said.at(-1)!.content).toMatch(/is taken \("Standup"\)/);

    const one = fakeRespond();
    await start('cancel the standup on March 18', one.respond);
    expect(one.steps()).toEqual(['cancellation:cancelled']);
    expect((await events())[0]).toMatchObject({ status: 'CONFIRMED', excludedStarts: ['2030-03-18T13:00:00.000Z'] });

    const ask = fakeRespond();
    const { turn, outcome: which } = await start('cancel the standup', ask.respond);
    expect(ask.said[0]!.data).toMatchObject({ choices: [{ value: 'only this one' }, { value: 'the whole series' }] });
    const all = fakeRespond();
    await reply(turn, 'the whole series', which.state, all.respond);
    expect((await events())[0]!.status).toBe('CANCELLED');
  });

  it('says what it did not use', async () => {
    const chat = fakeRespond();
    await start('book with Dana tomorrow at 3pm in the big conference room', chat.respond);
    expect(chat.said.at(-1)!.content).toBe(
      'Meeting scheduled: Meeting with Dana, Wed, Mar 6, 3:00 PM (30 min). I did not use "big conference room".',
    );
  });
});
