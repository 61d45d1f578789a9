import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { createUser } from '@/lib/services/user.service';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { eventData, openSse, type SseConnection, type SseEvent } from '@test/helpers/sse-client';
import { fanoutVariants } from '@test/helpers/redis';
import { DATABASE_KINDS } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';

// The SSE stream, mark-all-read and by-id over real HTTP (the app's Node entry) on each database. On
// PGlite the server owns the database while it runs, so every message these tests read is stored
// before it starts (the test process opens the database, seeds it, and closes it again); live
// delivery across processes is in stream-live.http.test.ts (PostgreSQL). On PostgreSQL the suite runs
// once per fan-out (FANOUT=postgres: NOTIFY; FANOUT=redis: Redis pub/sub, when Redis answers).

const VARIANTS = [
  ...DATABASE_KINDS.filter((kind) => kind === 'pglite').map((kind) => ({ kind, fanout: 'local', env: {} as Record<string, string> })),
  ...(DATABASE_KINDS.includes('postgres') ? await fanoutVariants() : []).map((f) => ({
    kind: 'postgres' as const,
    fanout: f.name,
    env: f.env,
  })),
];

const PASSWORD = 'a long enough password';
const STREAM = '/api/chat-messages/stream';
const HISTORY = 200;
/** The backlog of issue 10: 86 messages of 10,000 characters and ~60 KB of data each (5.5 MB in all). */
const BACKLOG = 86;
const backlogContent = (i: number) => `backlog ${i} `.padEnd(10_000, 'c');
const backlogData = (i: number) => ({ n: i, blob: 'd'.repeat(60_000) });

type Item = {
  id: string;
  type: string;
  taskId: string | null;
  content: string;
  data: unknown;
  createdAt: string;
  read: boolean;
  position: number;
};

const messagesOf = (events: SseEvent[]) => events.filter((e) => e.event === 'chat-message');

/** Sends a stream request on a raw socket and hangs up at once: a client gone before the first byte. */
function sendAndHangUp(port: number, path: string, cookie: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { cookie, accept: 'text/event-stream' } });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end(() => req.destroy());
  });
}

/** A stream request whose client reads nothing of the body until `destroy`. */
function openUnread(port: number, path: string, cookie: string): Promise<{ status: number; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { cookie, accept: 'text/event-stream' } });
    req.on('error', reject);
    req.on('response', (res) => {
      res.pause();
      resolve({ status: res.statusCode ?? 0, destroy: () => req.destroy() });
    });
    req.end();
  });
}

describe.each(VARIANTS)('the SSE stream over HTTP on $kind (fan-out $fanout)', ({ kind, env: fanoutEnv }) => {
  let app: AppServer;
  /** Signed-in browsers by user key, and what was stored for each before the start. */
  const browsers: Record<string, Browser> = {};
  const ids: Record<string, string> = {};
  const seeded: Record<string, chatResponseService.SendChatMessageResult[]> = {};
  const open: SseConnection[] = [];

  const USERS = ['history', 'limits', 'reads', 'markall', 'byid', 'other', 'agent', 'backlog', 'methods', 'gone'] as const;

  async function seed(env: NodeJS.ProcessEnv): Promise<void> {
    setDatabase(await openDatabase({ databaseUrl: env.DATABASE_URL || undefined, pgliteDir: env.PGLITE_DIR!, poolSize: 4 }));
    try {
      for (const key of USERS) {
        ids[key] = (await createUser({ email: `${key}@example.com`, password: PASSWORD })).id;
        seeded[key] = [];
      }
      const send = async (key: string, content: string, taskId = 'task_1') => {
        const result = await chatResponseService.sendInfo(taskId, ids[key]!, content, { n: seeded[key]!.length + 1 });
        expect(result.success).toBe(true);
        seeded[key]!.push(result);
      };
      for (let i = 1; i <= HISTORY; i++) await send('history', `history ${i}`);
      for (let i = 1; i <= 3; i++) await send('reads', `read me ${i}`);
      for (let i = 1; i <= 4; i++) await send('markall', `mark ${i}`);
      await send('byid', 'by id', 'task_b');
      await send('other', "someone else's");
      for (let i = 1; i <= BACKLOG; i++) {
        const result = await chatResponseService.sendInfo('task_big', ids.backlog!, backlogContent(i), backlogData(i));
        expect(result.success).toBe(true);
        seeded.backlog!.push(result);
      }
      for (let i = 1; i <= BACKLOG; i++) {
        expect((await chatResponseService.sendInfo('task_big', ids.gone!, backlogContent(i), backlogData(i))).success).toBe(true);
      }
    } finally {
      await closeDatabase();
    }
  }

  beforeAll(async () => {
    app = await startApp({
      kind,
      beforeStart: seed,
      // A short heartbeat so its test waits milliseconds; the agent's worker for the live test.
      env: { SSE_HEARTBEAT_MS: '200', RUN_WORKER_IN_PROCESS: 'true', ...fanoutEnv },
    });
    for (const key of USERS) {
      browsers[key] = new Browser(app.baseUrl);
      expect(await browsers[key].signIn(`${key}@example.com`, PASSWORD)).toBe(true);
    }
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await app?.dispose();
  });

  /** Opens a stream that afterAll closes. */
  async function stream(key: string, path = STREAM, lastEventId?: string | number): Promise<SseConnection> {
    const connection = await openSse(browsers[key]!, path, lastEventId === undefined ? {} : { lastEventId });
    open.push(connection);
    return connection;
  }

  it('answers text/event-stream with no-cache, no-transform and X-Accel-Buffering: no, retry 2000, then ready', async () => {
    const connection = await stream('history');
    expect(connection.status).toBe(200);
    expect(connection.headers.get('content-type')).toBe('text/event-stream');
    expect(connection.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(connection.headers.get('x-accel-buffering')).toBe('no');
    const [ready] = await connection.events.until((e) => e.event === 'ready');
    expect(ready).toEqual({ event: 'ready', data: JSON.stringify({ position: HISTORY }) });
    expect(connection.events.retry).toBe(2000);
    await connection.events.waitForComment('hb');
    await connection.close();
  });

  it('resumed from every position of a 200-message history, sends exactly the tail, in order', async () => {
    const expected = seeded.history!;
    for (let since = 0; since <= HISTORY; since++) {
      // Half through ?since, half through Last-Event-ID as EventSource sends it on reconnect.
      const connection =
        since % 2 === 0
          ? await openSse(browsers.history!, `${STREAM}?since=${since}`)
          : await openSse(browsers.history!, STREAM, { lastEventId: since });
      expect(connection.status).toBe(200);
      const events = await connection.events.until((e) => e.event === 'ready');
      await connection.close();
      const items = messagesOf(events).map((e) => ({ id: e.id, item: eventData<Item>(e) }));
      expect(items.map((i) => Number(i.id))).toEqual(Array.from({ length: HISTORY - since }, (_, i) => since + i + 1));
      expect(items.map((i) => i.item.id)).toEqual(expected.slice(since).map((r) => r.messageId));
      expect(eventData(events.at(-1)!)).toEqual({ position: HISTORY });
    }
  });

  it('sends each message as the list item plus read and position', async () => {
    const connection = await stream('history', `${STREAM}?since=${HISTORY - 1}`);
    const [message] = await connection.events.until((e) => e.event === 'chat-message');
    expect(message!.id).toBe(String(HISTORY));
    expect(eventData(message!)).toEqual({
      id: seeded.history![HISTORY - 1]!.messageId,
      type: 'INFO',
      taskId: 'task_1',
      content: `history ${HISTORY}`,
      data: { n: HISTORY },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      attachments: [],
      read: false,
      position: HISTORY,
      priority: 'NORMAL',
    });
    await connection.close();
  });

  it('prefers Last-Event-ID over ?since, as EventSource reconnects to the original URL', async () => {
    const connection = await stream('history', `${STREAM}?since=0`, HISTORY - 2);
    const events = await connection.events.until((e) => e.event === 'ready');
    expect(messagesOf(events).map((e) => e.id)).toEqual([String(HISTORY - 1), String(HISTORY)]);
    await connection.close();
  });

  it.each([
    ['a negative since', `${STREAM}?since=-1`, undefined],
    ['a fractional since', `${STREAM}?since=1.5`, undefined],
    ['a word as since', `${STREAM}?since=latest`, undefined],
    ['an empty since', `${STREAM}?since=`, undefined],
    ['a huge since', `${STREAM}?since=99999999999999999999`, undefined],
    ['a non-numeric Last-Event-ID', STREAM, 'abc'],
    ['a negative Last-Event-ID', STREAM, '-3'],
  ])('answers 400 invalid_input for %s', async (_name, path, lastEventId) => {
    const connection = await openSse(browsers.history!, path, lastEventId === undefined ? {} : { lastEventId });
    expect(connection.status).toBe(400);
    expect(connection.error?.error.code).toBe('invalid_input');
  });

  it('answers 401 without a session', async () => {
    const connection = await openSse(new Browser(app.baseUrl), STREAM);
    expect(connection.status).toBe(401);
    expect(connection.error?.error.code).toBe('unauthorized');
  });

  it('refuses the 11th stream of a user with 429 and Retry-After; closed streams free their slots', async () => {
    const first = await Promise.all(Array.from({ length: 10 }, () => stream('limits')));
    expect(first.map((c) => c.status)).toEqual(Array(10).fill(200));
    for (const c of first) await c.events.until((e) => e.event === 'ready');
    const eleventh = await openSse(browsers.limits!, STREAM);
    expect(eleventh.status).toBe(429);
    expect(eleventh.error?.error.code).toBe('rate_limited');
    expect(Number(eleventh.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user is not affected by this user's streams.
    const other = await stream('other');
    expect(other.status).toBe(200);
    await other.close();

    await Promise.all(first.map((c) => c.close()));
    // The server releases a slot when it sees the disconnect; wait for that, one slot at a time.
    const second: SseConnection[] = [];
    await waitFor(
      async () => {
        const attempt = await openSse(browsers.limits!, STREAM);
        if (attempt.status === 200) {
          open.push(attempt);
          second.push(attempt);
        } else {
          expect(attempt.status).toBe(429);
        }
        return second.length === 10 ? true : undefined;
      },
      'ten new streams after closing ten',
      20_000,
    );
    expect((await openSse(browsers.limits!, STREAM)).status).toBe(429);
    await Promise.all(second.map((c) => c.close()));
  });

  it('tells a second stream (another tab) about reads: ids for mark-read, upTo for mark-all-read', async () => {
    const tabA = await stream('reads', `${STREAM}?since=0`);
    const tabB = await stream('reads', `${STREAM}?since=0`);
    await tabA.events.until((e) => e.event === 'ready');
    await tabB.events.until((e) => e.event === 'ready');
    const [first, second] = seeded.reads!;
    const marked = await browsers.reads!.json('/api/chat-messages/mark-read', { json: { messageIds: [first!.messageId] } });
    expect(marked.body).toEqual({ success: true, markedCount: 1 });
    for (const tab of [tabA, tabB]) {
      const [read] = await tab.events.until((e) => e.event === 'read');
      expect(eventData(read!)).toEqual({ ids: [first!.messageId], positions: [1] });
    }
    const all = await browsers.reads!.json('/api/chat-messages/mark-all-read', { json: { upTo: second!.position } });
    expect(all.body).toEqual({ success: true, markedCount: 1 });
    const [read] = await tabB.events.until((e) => e.event === 'read');
    expect(eventData(read!)).toEqual({ upTo: 2 });
    // A replay shows the stored read state.
    const later = await stream('reads', `${STREAM}?since=0`);
    const replayed = messagesOf(await later.events.until((e) => e.event === 'ready')).map((e) => eventData<Item>(e).read);
    expect(replayed).toEqual([true, true, false]);
  });

  it('mark-all-read marks only messages at or before upTo', async () => {
    const unread = () => browsers.markall!.json<{ total: number }>('/api/chat-messages/unread-count');
    expect((await unread()).body.total).toBe(4);
    const marked = await browsers.markall!.json('/api/chat-messages/mark-all-read', { json: { upTo: 3 } });
    expect(marked).toMatchObject({ status: 200, body: { success: true, markedCount: 3 } });
    expect((await unread()).body.total).toBe(1);
    const list = await browsers.markall!.json<{ messages: Array<{ id: string }> }>('/api/chat-messages');
    expect(list.body.messages.map((m) => m.id)).toEqual([seeded.markall![3]!.messageId]);
    const again = await browsers.markall!.json('/api/chat-messages/mark-all-read', { json: { upTo: 3 } });
    expect(again.body).toEqual({ success: true, markedCount: 0 });
  });

  it.each([
    ['a negative upTo', { upTo: -1 }],
    ['a fractional upTo', { upTo: 1.5 }],
    ['upTo as a string', { upTo: '3' }],
    ['no upTo', {}],
    ['an array body', [1]],
  ])('mark-all-read answers 400 invalid_input for %s and changes nothing', async (_name, body) => {
    const response = await browsers.other!.json('/api/chat-messages/mark-all-read', { json: body });
    expect(response).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    expect((await browsers.other!.json<{ total: number }>('/api/chat-messages/unread-count')).body.total).toBe(1);
  });

  it("by-id returns the caller's message with read and position, 404 for another user's or an unknown id", async () => {
    const [sent] = seeded.byid!;
    const mine = await browsers.byid!.json<Item>(`/api/chat-messages/by-id/${sent!.messageId}`);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({
      id: sent!.messageId,
      type: 'INFO',
      taskId: 'task_b',
      content: 'by id',
      data: { n: 1 },
      createdAt: expect.any(String),
      attachments: [],
      read: false,
      position: 1,
      priority: 'NORMAL',
    });
    const theirs = await browsers.other!.json(`/api/chat-messages/by-id/${sent!.messageId}`);
    expect(theirs).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await browsers.byid!.json('/api/chat-messages/by-id/nope')).status).toBe(404);
    expect((await new Browser(app.baseUrl).json(`/api/chat-messages/by-id/${sent!.messageId}`)).status).toBe(401);
  });

  it('delivers a message produced inside the server (the agent answering a request) live', async () => {
    const connection = await stream('agent');
    const [ready] = await connection.events.until((e) => e.event === 'ready');
    expect(eventData(ready!)).toEqual({ position: 0 });
    const submitted = await browsers.agent!.json<{ taskId: string }>('/api/scheduling-agent/tasks', {
      json: { request: 'set up a meeting with Sam', timezone: 'UTC' },
    });
    expect(submitted.status).toBe(202);
    // The agent's activity events (no id) may come first: the message is the event waited for.
    const message = (await connection.events.until((e) => e.event === 'chat-message', 30_000)).at(-1);
    expect(message!.id).toBe('1');
    expect(eventData<Item>(message!)).toMatchObject({ taskId: submitted.body.taskId, position: 1 });
  });
  /** Opens streams of `key` until it holds `count` (slots are freed when the server sees a disconnect), then checks the next is 429. */
  async function expectFreeSlots(key: string, count: number): Promise<void> {
    const held: SseConnection[] = [];
    await waitFor(
      async () => {
        const attempt = await openSse(browsers[key]!, STREAM);
        if (attempt.status === 200) {
          open.push(attempt);
          held.push(attempt);
        } else {
          expect(attempt.status).toBe(429);
        }
        return held.length === count ? true : undefined;
      },
      `${count} streams of ${key}`,
      20_000,
    );
    expect((await openSse(browsers[key]!, STREAM)).status).toBe(429);
    await Promise.all(held.map((c) => c.close()));
  }

  it('replays a 5.5 MB backlog (86 messages of 10,000 characters and ~60 KB of data) whole and in order, from 0 and from a cursor', async () => {
    for (const since of [0, 43]) {
      const connection = await stream('backlog', `${STREAM}?since=${since}`);
      expect(connection.status).toBe(200);
      const events = await connection.events.until((e) => e.event === 'ready', 60_000);
      await connection.close();
      const items = messagesOf(events).map((e) => eventData<Item>(e));
      expect(items.map((i) => i.position)).toEqual(Array.from({ length: BACKLOG - since }, (_, i) => since + i + 1));
      expect(items.map((i) => i.id)).toEqual(seeded.backlog!.slice(since).map((r) => r.messageId));
      items.forEach((item) => {
        expect(item.content).toBe(backlogContent(item.position));
        expect(item.data).toEqual(backlogData(item.position));
      });
      expect(eventData(events.at(-1)!)).toEqual({ position: BACKLOG });
    }
  });

  it('takes a stream slot only for a GET: twelve HEADs and every other method leave all ten slots free', async () => {
    for (let i = 0; i < 12; i++) {
      const head = await browsers.methods!.fetch(`${STREAM}?since=0`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('text/event-stream');
      expect(await head.text()).toBe('');
    }
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      for (let i = 0; i < 3; i++) {
        const response = await browsers.methods!.fetch(`${STREAM}?since=0`, { method });
        await response.arrayBuffer();
        expect(response.status).toBe(method === 'OPTIONS' ? 204 : 405);
        expect(response.headers.get('content-type')).not.toBe('text/event-stream');
      }
    }
    await expectFreeSlots('methods', 10);
  });

  it('frees the slot of a stream whose client went away, before the first byte or in the middle of a replay', async () => {
    const cookie = browsers.gone!.cookieHeader;
    for (let i = 0; i < 12; i++) await sendAndHangUp(app.port, `${STREAM}?since=0`, cookie);
    // The server learns of each hang-up on its own schedule, so the ten slots come back one by one:
    // ten clients that read nothing of a 5.5 MB replay get them all (a leaked slot never would)...
    const stalled: Array<{ status: number; destroy: () => void }> = [];
    await waitFor(
      async () => {
        const attempt = await openUnread(app.port, `${STREAM}?since=0`, cookie);
        if (attempt.status === 200) stalled.push(attempt);
        else {
          attempt.destroy();
          expect(attempt.status).toBe(429);
        }
        return stalled.length === 10 ? true : undefined;
      },
      '10 stalled streams of gone',
      20_000,
    );
    // ...hold them while connected...
    expect((await openSse(browsers.gone!, STREAM)).status).toBe(429);
    // ...and free them when they leave mid-replay.
    for (const s of stalled) s.destroy();
    await expectFreeSlots('gone', 10);
  });
});
