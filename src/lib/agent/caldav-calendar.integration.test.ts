import { fetchCalendarObjects, makeCalendar } from 'tsdav';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCalendar, eventUid } from '@/lib/calendar-ics/ics';
import { CalDavError } from '@/lib/caldav/caldav-client';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import { calendarConnections, calendarEvents } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import * as connectionService from '@/lib/services/calendar-connection.service';
import * as feedService from '@/lib/services/calendar-feed.service';
import { UNAUTHORIZED, UNREACHABLE } from './calendar-access';
import { converse, type ConversationTurn, type Respond } from './scheduling-conversation';
import { ALL_DAY, fakeRespond, freshAgentUser, NOW, replyTo, startConversation, TZ } from '@test/helpers/agent-conversation';
import { startRadicale, type RadicaleServer } from '@test/helpers/radicale';
import { radicaleAccount, useCalDavEnv, type RadicaleAccount } from '@test/helpers/radicale-calendar';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';

// The agent against a real CalDAV server: Radicale on loopback (test/helpers/radicale.ts), read back
// with tsdav. Busy times, bookings, moves and cancellations go through the user's real calendar.

const PASSWORD = 'radicale-pass-1';

describe.each(DATABASE_KINDS)('the agent with a CalDAV calendar (Radicale) on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let radicale: RadicaleServer;
  let userId: string;
  let username: string;
  let calendarUrl: string;
  let auth: RadicaleAccount['auth'];
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = useCalDavEnv();
    ({ database, teardown } = await useFreshDatabase(kind));
    radicale = await startRadicale({});
  });
  afterAll(async () => {
    await teardown();
    await radicale?.close();
    restoreEnv();
  });
  beforeEach(async () => {
    await radicale.start();
    userId = await freshAgentUser(database);
    ({ username, calendarUrl, auth } = await radicaleAccount(radicale, { password: PASSWORD }));
  });

  const connect = () => connectionService.connect(userId, { url: radicale.url, username, password: PASSWORD });

  /** What Radicale holds, read back with tsdav. */
  async function remote(): Promise<Array<{ url: string; data: string }>> {
    const objects = await fetchCalendarObjects({ calendar: { url: calendarUrl }, headers: auth() });
    return objects.map((o) => ({ url: o.url, data: String(o.data) }));
  }
  /** Puts an event someone else made into the user's calendar. */
  async function putForeign(uid: string, start: string, end: string, title = 'Dentist'): Promise<void> {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VEVENT',
      `UID:${uid}`,
      'DTSTAMP:20300101T000000Z',
      `DTSTART:${start}`,
      `DTEND:${end}`,
      `SUMMARY:${title}`,
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const response = await fetch(`${calendarUrl}${uid}.ics`, {
      method: 'PUT',
      headers: { ...auth(), 'Content-Type': 'text/calendar' },
      body: ics,
    });
    expect(response.status).toBe(201);
  }

  const start = (request: string, respond?: Respond) => startConversation(userId, request, respond);
  const reply = replyTo;
  const events = () => database.db.select().from(calendarEvents);

  describe('connecting', () => {
    it('refuses a wrong password and an unreachable URL with a 400 naming the field, storing nothing', async () => {
      const wrong = connectionService.connect(userId, { url: radicale.url, username, password: 'wrong' });
      await expect(wrong).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^password: /) });
      const closed = connectionService.connect(userId, { url: 'http://127.0.0.1:1/', username, password: PASSWORD });
      await expect(closed).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^url: .*could not be reached/) });
      expect(await database.db.select().from(calendarConnections)).toEqual([]);
    });

    it('refuses to connect without CALENDAR_ENCRYPTION_KEY (503), storing nothing', async () => {
      const key = process.env.CALENDAR_ENCRYPTION_KEY;
      delete process.env.CALENDAR_ENCRYPTION_KEY;
      resetEnvCache();
      try {
        const refused = await connect().catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(AppError);
        expect(refused).toMatchObject({ code: 'service_unavailable', message: expect.stringContaining('CALENDAR_ENCRYPTION_KEY') });
      } finally {
        process.env.CALENDAR_ENCRYPTION_KEY = key;
        resetEnvCache();
      }
      expect(await database.db.select().from(calendarConnections)).toEqual([]);
    });

    it('stores the connection with the password encrypted, and shows it without the password', async () => {
      const shown = await connect();
      expect(shown).toMatchObject({ connected: true, url: radicale.url, username, calendarUrl, status: 'connected' });
      expect(JSON.stringify(shown)).not.toContain(PASSWORD);
      const [row] = await database.db.select().from(calendarConnections);
      expect(row!.sealedPassword).not.toContain(PASSWORD);
      expect(JSON.stringify(await connectionService.describe(userId))).not.toContain(PASSWORD);
      // A URL naming one of the account's calendars picks that one.
      const personal = `${radicale.url}${username}/personal/`;
      expect((await makeCalendar({ url: personal, props: { displayname: 'Personal' }, headers: auth() }))[0]?.ok).toBe(true);
      const chosen = await connectionService.connect(userId, { url: personal, username, password: PASSWORD });
      expect(chosen.calendarUrl).toBe(personal);
      expect(await connectionService.disconnect(userId)).toBe(true);
      expect(await connectionService.describe(userId)).toEqual({ connected: false });
    });
  });

  it('books into the real calendar under the event UID, moves it there, and deletes it on cancel', async () => {
    await connect();
    const chat = fakeRespond();
    const { outcome } = await start('book 30 min with Dana tomorrow at 3pm', chat.respond);
    expect(chat.steps()).toEqual(['scheduling_update:checking', 'confirmation:confirmed']);
    const [event] = await events();
    expect(outcome).toMatchObject({ status: 'COMPLETED', result: { eventId: event!.id } });
    let objects = await remote();
    expect(objects).toHaveLength(1);
    expect(objects[0]!.data).toContain(`UID:${eventUid(event!.id)}`);
    expect(objects[0]!.data).toContain('DTSTART:20300306T200000Z');
    expect(objects[0]!.data).toContain('SUMMARY:Meeting with Dana');

    const moved = fakeRespond();
    await start('move my meeting with Dana to 4pm', moved.respond);
    expect(moved.steps().at(-1)).toBe('confirmation:moved');
    objects = await remote();
    expect(objects).toHaveLength(1);
    expect(objects[0]!.data).toContain('DTSTART:20300306T210000Z');

    const cancelled = fakeRespond();
    await start('cancel my meeting with Dana tomorrow', cancelled.respond);
    expect(cancelled.steps()).toEqual(['cancellation:cancelled']);
    expect(await remote()).toEqual([]);
  });

  it('writes a series as one VEVENT with its RRULE, an EXDATE for one cancelled or moved occurrence, and deletes the series', async () => {
    await connect();
    await start('meet Bob every Monday at 9 for standup');
    let [object] = await remote();
    expect(object!.data).toContain('RRULE:FREQ=WEEKLY;BYDAY=MO');
    expect(object!.data).toContain('DTSTART;TZID=America/New_York:20300311T090000');

    await start('cancel the standup on March 18');
    [object] = await remote();
    expect(object!.data).toContain('EXDATE;TZID=America/New_York:20300318T090000');

    // One occurrence moved: an EXDATE on the series and a meeting of its own.
    await start('move the standup on March 25 to 10am');
    const objects = await remote();
    expect(objects).toHaveLength(2);
    const seriesObject = objects.find((o) => o.data.includes('RRULE'))!;
    expect(seriesObject.data).toContain('EXDATE;TZID=America/New_York:20300325T090000');
    expect(objects.find((o) => !o.data.includes('RRULE'))!.data).toContain('DTSTART:20300325T140000Z');

    // The series and the moved meeting both match "the standup": the first offered is the series.
    const ask = fakeRespond();
    const { turn, outcome } = await start('cancel the standup series', ask.respond);
    expect(ask.steps()).toEqual(['clarification:which-to-cancel']);
    await reply(turn, 'the first one', outcome.state, fakeRespond().respond);
    const left = await remote();
    expect(left).toHaveLength(1);
    expect(left[0]!.data).not.toContain('RRULE');
  });

  it("checks conflicts against the real calendar's busy times and offers other times", async () => {
    await connect();
    await putForeign('dentist-1', '20300306T200000Z', '20300306T210000Z');
    const chat = fakeRespond();
    const { outcome } = await start('book 30 min with Dana tomorrow at 3pm', chat.respond);
    expect(outcome.status).toBe('WAITING_FOR_USER');
    expect(chat.said.at(-1)!.content).toMatch(/is taken \("Dentist"\)/);
    expect(await events()).toEqual([]);
    expect(await remote()).toHaveLength(1);
  });

  it('says so when the real calendar took the offered time between the offer and the pick; nothing is booked twice', async () => {
    await connect();
    await putForeign('lunch-1', '20300306T200000Z', '20300306T210000Z', 'Lunch');
    const offer = fakeRespond();
    const { turn, outcome } = await start('book 30 min with Dana tomorrow at 3pm', offer.respond);
    const alternatives = (offer.said.at(-1)!.data as { alternatives: Array<{ start: string }> }).alternatives;
    const first = new Date(alternatives[0]!.start);
    const basic = (d: Date) =>
      d
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
    await putForeign('gym-1', basic(first), basic(new Date(first.getTime() + 30 * 60_000)), 'Gym');
    const pick = fakeRespond();
    const next = await reply(turn, 'the first one', outcome.state, pick.respond);
    expect(pick.said[0]!.content).toMatch(/^Sorry, .* was just taken \("Gym"\); nothing was booked\./);
    expect(next.status).toBe('WAITING_FOR_USER');
    expect(await events()).toEqual([]);
  });

  it('an unreachable calendar: an ERROR saying it will retry, the turn fails for the job queue, and the retry books once', async () => {
    await connect();
    await radicale.stop();
    const chat = fakeRespond();
    const task = await taskRepository.insertTask({ userId, request: 'book 30 min with Dana tomorrow at 3pm', timeZone: TZ });
    const turn: ConversationTurn = { taskId: task.id, userId, turn: 0, timeZone: TZ, now: NOW, workingHours: ALL_DAY };
    await expect(converse(turn, task.request, {}, chat.respond)).rejects.toBeInstanceOf(CalDavError);
    expect(chat.said.at(-1)).toMatchObject({ type: 'error', step: 'calendar-unreachable', content: UNREACHABLE });
    expect(await events()).toEqual([]);
    expect(await connectionService.describe(userId)).toMatchObject({ status: 'unreachable' });

    await radicale.start();
    const retry = fakeRespond();
    // The same turn again (as pg-boss re-runs it), twice: one event, one calendar object.
    expect((await converse(turn, task.request, {}, retry.respond)).status).toBe('COMPLETED');
    expect((await converse(turn, task.request, {}, fakeRespond().respond)).status).toBe('COMPLETED');
    expect(retry.steps().at(-1)).toBe('confirmation:confirmed');
    expect(await events()).toHaveLength(1);
    expect(await remote()).toHaveLength(1);
    expect(await connectionService.describe(userId)).toMatchObject({ status: 'connected' });
  });

  it('a revoked credential: an ERROR saying to reconnect, nothing booked, the connection marked unauthorized', async () => {
    await connect();
    radicale.setPassword(username, 'changed-elsewhere');
    const chat = fakeRespond();
    const { outcome } = await start('book 30 min with Dana tomorrow at 3pm', chat.respond);
    expect(outcome).toMatchObject({ status: 'COMPLETED', result: { calendarError: 'unauthorized' } });
    expect(chat.said.at(-1)).toMatchObject({ type: 'error', step: 'calendar-unauthorized', content: UNAUTHORIZED });
    expect(await events()).toEqual([]);
    expect(await connectionService.describe(userId)).toMatchObject({ status: 'unauthorized' });
  });

  it('the ICS feed lists what the agent booked (series as RRULE); a rotated or revoked token stops working', async () => {
    await start('meet Bob every Monday at 9 for standup');
    await start('book 30 min with Dana tomorrow at 3pm');
    const feed = await feedService.rotateFeed(userId);
    expect(feed.token.length).toBeGreaterThanOrEqual(43);
    const ics = await feedService.feedCalendar(feed.token);
    expect(ics).toContain('RRULE:FREQ=WEEKLY;BYDAY=MO');
    expect(ics).toContain('SUMMARY:Meeting with Dana');
    expect(ics.match(/BEGIN:VEVENT/g)).toHaveLength(2);
    const rotated = await feedService.rotateFeed(userId);
    await expect(feedService.feedCalendar(feed.token)).rejects.toMatchObject({ code: 'not_found' });
    expect(await feedService.feedCalendar(rotated.token)).toContain('BEGIN:VCALENDAR');
    await feedService.revokeFeed(userId);
    await expect(feedService.feedCalendar(rotated.token)).rejects.toMatchObject({ code: 'not_found' });
    // The same builder serves invites: one event, one UID.
    expect(buildCalendar([{ id: 'x', title: 't', startsAt: NOW, endsAt: NOW, attendees: [] }])).toContain(`UID:${eventUid('x')}`);
  });
});
