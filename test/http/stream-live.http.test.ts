import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { resetEnvCache } from '@/lib/config/env';
import { announceEphemeral, stopFanout } from '@/lib/realtime/fanout';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { createUser } from '@/lib/services/user.service';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { fanoutVariants } from '@test/helpers/redis';
import { eventData, openSse, type SseConnection } from '@test/helpers/sse-client';

// Live delivery over HTTP on PostgreSQL: messages sent by another process (this test, through the
// service: it commits and announces) reach streams on two app instances sharing one database; once
// with each fan-out (FANOUT=postgres: NOTIFY; FANOUT=redis: Redis pub/sub).

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
// Without PostgreSQL the suite is skipped; one variant keeps `each` from being empty.
const FANOUTS = hasPostgres ? await fanoutVariants() : [{ name: 'postgres' as const, env: {} }];
const PASSWORD = 'a long enough password';
const STREAM = '/api/chat-messages/stream';
const SESSION_COOKIE = 'next-auth.session-token';

/** A small seeded PRNG (mulberry32) so a failing run can be replayed with the same choices. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe.skipIf(!hasPostgres).each(FANOUTS)('live SSE delivery across processes and instances (PostgreSQL, fan-out $name)', (fanout) => {
  let appA: AppServer;
  let appB: AppServer;
  const userIds: Record<string, string> = {};
  /** Per user: a signed-in browser for each instance (one session cookie, valid on both). */
  const browsers: Record<string, { a: Browser; b: Browser }> = {};
  const open: SseConnection[] = [];

  const USERS = ['two', 'crowd', 'noise', 'race'] as const;
  // Room for 50 readers (and their reconnect overlap) of one user; the default limit of 10 and
  // the default request budget are covered in stream.http.test.ts.
  const ENV = { SSE_MAX_STREAMS_PER_USER: '200', RATE_LIMIT_POINTS: '100000', ...fanout.env };
  const saved = { FANOUT: process.env.FANOUT, REDIS_URL: process.env.REDIS_URL };

  beforeAll(async () => {
    // This process sends too, so it announces through the same fan-out as the apps.
    Object.assign(process.env, fanout.env);
    resetEnvCache();
    appA = await startApp({ kind: 'postgres', env: ENV });
    appB = await startApp({ kind: 'postgres', env: { ...ENV, DATABASE_URL: appA.env.DATABASE_URL! } });
    // Pool of 20 so the concurrent senders below really send concurrently.
    setDatabase(await openDatabase({ databaseUrl: appA.env.DATABASE_URL, pgliteDir: 'unused', poolSize: 20 }));
    for (const key of USERS) {
      userIds[key] = (await createUser({ email: `${key}@example.com`, password: PASSWORD })).id;
      const a = new Browser(appA.baseUrl);
      expect(await a.signIn(`${key}@example.com`, PASSWORD)).toBe(true);
      const b = new Browser(appB.baseUrl);
      b.setCookie(SESSION_COOKIE, a.getCookie(SESSION_COOKIE)!);
      browsers[key] = { a, b };
    }
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await stopFanout();
    await closeDatabase();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetEnvCache();
    await appB?.dispose();
    await appA?.dispose();
  });

  async function stream(browser: Browser, path = STREAM): Promise<SseConnection> {
    const connection = await openSse(browser, path);
    expect(connection.status).toBe(200);
    open.push(connection);
    return connection;
  }

  it("streams on both instances receive a message sent by another process, and each other's reads", async () => {
    const onA = await stream(browsers.two!.a);
    const onB = await stream(browsers.two!.b);
    for (const s of [onA, onB]) expect(eventData((await s.events.until((e) => e.event === 'ready'))[0]!)).toEqual({ position: 0 });

    const sent = await chatResponseService.sendConfirmation('task_1', userIds.two!, 'Meeting scheduled!', { eventId: 'e1' });
    for (const s of [onA, onB]) {
      const [message] = await s.events.until((e) => e.event === 'chat-message');
      expect(message!.id).toBe('1');
      expect(eventData(message!)).toMatchObject({
        id: sent.messageId,
        content: 'Meeting scheduled!',
        data: { eventId: 'e1' },
        read: false,
      });
    }

    // A read through instance A reaches the tab on instance B, and the other way round.
    await browsers.two!.a.json('/api/chat-messages/mark-read', { json: { messageIds: [sent.messageId] } });
    expect(eventData((await onB.events.until((e) => e.event === 'read'))[0]!)).toEqual({ ids: [sent.messageId], positions: [1] });
    await chatResponseService.sendInfo('task_1', userIds.two!, 'second');
    await browsers.two!.b.json('/api/chat-messages/mark-all-read', { json: { upTo: 2 } });
    const onAEvents = await onA.events.until((e) => e.event === 'read' && 'upTo' in eventData(e));
    // The first read may come before or after message 2 (it concerns message 1); the mark-all
    // read always comes after message 2, which it covers.
    expect(onAEvents.map((e) => (e.event === 'read' ? JSON.stringify(eventData(e)) : `${e.event}:${e.id}`)).sort()).toEqual(
      ['chat-message:2', JSON.stringify({ ids: [sent.messageId], positions: [1] }), JSON.stringify({ upTo: 2 })].sort(),
    );
    expect(eventData(onAEvents.at(-1)!)).toEqual({ upTo: 2 });
  });

  it('an ephemeral event from another process reaches the live streams on both instances, and is never replayed', async () => {
    const onA = await stream(browsers.two!.a);
    const onB = await stream(browsers.two!.b);
    for (const s of [onA, onB]) await s.events.until((e) => e.event === 'ready');
    expect(await announceEphemeral(userIds.two!, 'activity', { step: 'checking calendars' })).toBe(true);
    for (const s of [onA, onB]) {
      // The event waited for, not the first seen: a read of the previous test may still be in flight.
      const event = (await s.events.until((e) => e.event === 'activity')).at(-1);
      expect(event!.id).toBeUndefined();
      expect(eventData(event!)).toEqual({ step: 'checking calendars' });
    }
    // Not stored: a stream replaying from the start gets the messages and no activity.
    const replay = await stream(browsers.two!.a, `${STREAM}?since=0`);
    const events = await replay.events.until((e) => e.event === 'ready');
    expect(events.filter((e) => e.event === 'activity')).toEqual([]);
    await expect(announceEphemeral(userIds.two!, 'chat-message', {})).rejects.toThrow(/event name/);
  });

  it('20 concurrent senders and 50 readers that drop and resume with Last-Event-ID: every reader gets every message once', async () => {
    const SENDERS = 20;
    const PER_SENDER = 10;
    const TOTAL = SENDERS * PER_SENDER;
    const READERS = 50;
    const SEED = 20_261_124;
    const random = prng(SEED);

    async function reader(index: number) {
      const rand = prng(SEED + index);
      const got: Array<{ id: string; position: number }> = [];
      let lastEventId: string | undefined;
      let connects = 0;
      const deadline = Date.now() + 90_000;
      while (got.length < TOTAL) {
        if (Date.now() > deadline || connects > 200)
          throw new Error(`reader ${index} stuck at ${got.length}/${TOTAL} after ${connects} connections`);
        // Each (re)connection goes to either instance, as behind a load balancer.
        const browser = rand() < 0.5 ? browsers.crowd!.a : browsers.crowd!.b;
        const connection = await openSse(
          browser,
          lastEventId === undefined ? `${STREAM}?since=0` : STREAM,
          lastEventId === undefined ? {} : { lastEventId },
        );
        connects++;
        expect(connection.status).toBe(200);
        // Drop after a random number of messages, sometimes before the first one.
        const budget = Math.floor(rand() * 25);
        try {
          for (let taken = 0; taken < budget && got.length < TOTAL;) {
            const event = await connection.events.next(30_000);
            if (!event) break;
            if (event.event !== 'chat-message') continue;
            taken++;
            got.push({ id: eventData<{ id: string }>(event).id, position: Number(event.id) });
            lastEventId = event.id;
          }
        } finally {
          await connection.close();
        }
      }
      return { got, connects };
    }

    async function sender(index: number) {
      const results = [];
      for (let i = 0; i < PER_SENDER; i++) {
        // Uneven pacing so sends interleave differently with the readers' reconnects.
        if (random() < 0.3) await new Promise((resolve) => setImmediate(resolve));
        results.push(await chatResponseService.sendInfo(`task_${index}`, userIds.crowd!, `sender ${index} message ${i}`));
      }
      return results;
    }

    const readers = Array.from({ length: READERS }, (_, i) => reader(i));
    const [sent] = await Promise.all([
      Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i))).then((r) => r.flat()),
      // Another user's messages in the same burst must not reach these readers.
      (async () => {
        for (let i = 0; i < 20; i++) await chatResponseService.sendInfo('t', userIds.noise!, `noise ${i}`);
      })(),
    ]);
    expect(sent.every((r) => r.success)).toBe(true);
    const expected = sent.map((r) => r.messageId!).sort();

    const results = await Promise.all(readers);
    for (const { got } of results) {
      expect(got).toHaveLength(TOTAL);
      expect(new Set(got.map((g) => g.id)).size).toBe(TOTAL);
      expect(got.map((g) => g.id).sort()).toEqual(expected);
      for (let i = 1; i < got.length; i++) expect(got[i]!.position).toBeGreaterThan(got[i - 1]!.position);
    }
    // They really did drop and resume, many times each on average.
    expect(results.reduce((n, r) => n + r.connects, 0)).toBeGreaterThan(READERS * 5);
  });

  it("mark-all-read up to the client's cursor leaves messages arriving during the request unread", async () => {
    for (let i = 1; i <= 5; i++) await chatResponseService.sendInfo('t', userIds.race!, `seen ${i}`);
    const tab = await stream(browsers.race!.a);
    const cursor = eventData<{ position: number }>((await tab.events.until((e) => e.event === 'ready'))[0]!).position;
    expect(cursor).toBe(5);
    const [marked, late] = await Promise.all([
      browsers.race!.b.json('/api/chat-messages/mark-all-read', { json: { upTo: cursor } }),
      Promise.all(Array.from({ length: 5 }, (_, i) => chatResponseService.sendInfo('t', userIds.race!, `late ${i}`))),
    ]);
    expect(marked.body).toEqual({ success: true, markedCount: 5 });
    const unread = await browsers.race!.a.json<{ messages: Array<{ id: string }>; total: number }>('/api/chat-messages');
    expect(unread.body.total).toBe(5);
    expect(unread.body.messages.map((m) => m.id).sort()).toEqual(late.map((r) => r.messageId!).sort());
  });
});
