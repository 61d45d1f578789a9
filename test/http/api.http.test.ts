import Pusher from 'pusher';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { subscribeToChannel, type ChannelSubscriber } from '@test/helpers/pusher-client';
import { startPusherServer, type PusherServer } from '@test/helpers/pusher-server';
import { queryRows } from '@test/helpers/test-db';
import { Browser } from '@test/helpers/http-client';

// The HTTP API against the built app on a scratch PostgreSQL database, so the test can look at
// the stored rows directly and prove that refused requests changed nothing.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

const PUSHER = { appId: '777', key: 'app-key', secret: 'app-secret', cluster: 'mt1' };

describe.skipIf(!hasPostgres)('HTTP API (PostgreSQL)', () => {
  let app: AppServer;
  let database: Database;
  let pusherServer: PusherServer;
  const users: Record<'a' | 'b', { id: string; email: string; browser: Browser }> = {} as never;
  const PASSWORD = 'a long enough password';

  async function createUser(email: string): Promise<string> {
    const { code, output } = await runCli(app.env, 'user-create.ts', [
      '--email',
      email,
      '--password',
      PASSWORD,
      '--name',
      email.split('@')[0]!,
    ]);
    expect(code).toBe(0);
    return output.id as string;
  }

  /** Every stored message with every column that a request could change. */
  async function snapshot(): Promise<string> {
    const rows = await queryRows(
      database,
      sql`SELECT id, "userId", "taskId", type, content, data::text, read, "readAt", position FROM chat_messages ORDER BY id`,
    );
    return JSON.stringify(rows);
  }

  beforeAll(async () => {
    pusherServer = await startPusherServer(PUSHER);
    app = await startApp({ kind: 'postgres', env: { ...pusherServer.env, PUSHER_CLUSTER: PUSHER.cluster } });
    database = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' });
    setDatabase(database);
    for (const key of ['a', 'b'] as const) {
      const email = `${key}-user@example.com`;
      const id = await createUser(email);
      const browser = new Browser(app.baseUrl);
      expect(await browser.signIn(email, PASSWORD)).toBe(true);
      users[key] = { id, email, browser };
    }
  });
  afterAll(async () => {
    await closeDatabase();
    await app?.dispose();
    await pusherServer?.stop();
  });

  describe('sign-in', () => {
    it('sets next-auth.session-token (no __Secure- prefix over http) and /api/auth/session names the user', async () => {
      const { browser, id, email } = users.a;
      expect(browser.getCookie('next-auth.session-token')).toBeTruthy();
      const session = await browser.json<{ user: { id: string; email: string } }>('/api/auth/session');
      expect(session.body.user).toMatchObject({ id, email });
    });

    it('refuses a wrong password: no session cookie, and the API answers 401', async () => {
      const browser = new Browser(app.baseUrl);
      expect(await browser.signIn(users.a.email, 'wrong password!')).toBe(false);
      expect((await browser.json('/api/chat-messages')).status).toBe(401);
    });

    it('signs in with the email in another case', async () => {
      const browser = new Browser(app.baseUrl);
      expect(await browser.signIn(users.a.email.toUpperCase(), PASSWORD)).toBe(true);
    });

    it('user:create prints the new id as JSON and refuses a duplicate email', async () => {
      const again = await runCli(app.env, 'user-create.ts', ['--email', users.a.email, '--password', PASSWORD]);
      expect(again.code).toBe(1);
      expect(again.output.error).toMatch(/email: is already registered/);
    });

    it('POST /api/users signs up a new user who can then sign in', async () => {
      const browser = new Browser(app.baseUrl);
      const created = await browser.json('/api/users', { json: { email: 'New.Person@Example.com', password: PASSWORD, name: 'New' } });
      expect(created).toMatchObject({
        status: 201,
        body: { user: { id: expect.any(String), email: 'new.person@example.com', name: 'New' } },
      });
      expect(await browser.signIn('new.person@example.com', PASSWORD)).toBe(true);
    });

    it('signing out clears the session', async () => {
      const browser = new Browser(app.baseUrl);
      expect(await browser.signIn(users.b.email, PASSWORD)).toBe(true);
      const csrf = await browser.json<{ csrfToken: string }>('/api/auth/csrf');
      await browser.fetch('/api/auth/signout', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrfToken: csrf.body.csrfToken, json: 'true' }),
      });
      expect(browser.getCookie('next-auth.session-token')).toBeUndefined();
      expect((await browser.json('/api/chat-messages')).status).toBe(401);
    });
  });

  describe("the guide's endpoints", () => {
    it('GET /api/chat-messages returns unread messages in the guide shape, oldest first, with total and hasMore', async () => {
      await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors CASCADE`);
      const first = await chatResponseService.sendSchedulingUpdate('task_list', users.a.id, 'Processing your request...');
      const second = await chatResponseService.sendConfirmation('task_list', users.a.id, 'Meeting scheduled!', { eventId: 'event_789' });
      await chatResponseService.sendInfo('task_list', users.a.id, 'third');
      const rows = await queryRows<{ id: string; createdAt: Date }>(
        database,
        sql`SELECT id, "createdAt" FROM chat_messages ORDER BY position`,
      );

      const page = await users.a.browser.json('/api/chat-messages?limit=2');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/application\/json/);
      expect(page.body).toEqual({
        messages: [
          {
            id: first.messageId,
            type: 'SCHEDULING_UPDATE',
            taskId: 'task_list',
            content: 'Processing your request...',
            data: {},
            createdAt: new Date(rows[0]!.createdAt).toISOString(),
            attachments: [],
            priority: 'NORMAL',
          },
          {
            id: second.messageId,
            type: 'CONFIRMATION',
            taskId: 'task_list',
            content: 'Meeting scheduled!',
            data: { eventId: 'event_789' },
            createdAt: new Date(rows[1]!.createdAt).toISOString(),
            attachments: [],
            priority: 'NORMAL',
          },
        ],
        total: 3,
        hasMore: true,
      });
      const all = await users.a.browser.json<{ messages: unknown[]; total: number; hasMore: boolean }>('/api/chat-messages');
      expect(all.body).toMatchObject({ total: 3, hasMore: false });
      expect(all.body.messages).toHaveLength(3);
    });

    it('POST /api/chat-messages/mark-read marks and counts only unread messages', async () => {
      const m = await chatResponseService.sendInfo('task_mark', users.a.id, 'to be read');
      const marked = await users.a.browser.json('/api/chat-messages/mark-read', { json: { messageIds: [m.messageId] } });
      expect(marked).toMatchObject({ status: 200, body: { success: true, markedCount: 1 } });
      expect(marked.body).toEqual({ success: true, markedCount: 1 });
      const again = await users.a.browser.json('/api/chat-messages/mark-read', { json: { messageIds: [m.messageId] } });
      expect(again.body).toEqual({ success: true, markedCount: 0 });
      const rows = await queryRows<{ read: boolean; readAt: Date | null }>(
        database,
        sql`SELECT read, "readAt" FROM chat_messages WHERE id = ${m.messageId}`,
      );
      expect(rows[0]!.read).toBe(true);
      expect(rows[0]!.readAt).not.toBeNull();
    });

    it('POST /api/chat-messages accepts the same body as mark-read', async () => {
      const m = await chatResponseService.sendInfo('task_mark', users.a.id, 'also to be read');
      const marked = await users.a.browser.json('/api/chat-messages', { json: { messageIds: [m.messageId] } });
      expect(marked).toMatchObject({ status: 200, body: { success: true, markedCount: 1 } });
    });

    it("GET /api/chat-messages/{taskId} returns the task's messages with read flags, oldest first", async () => {
      const first = await chatResponseService.sendSchedulingUpdate('task_hist', users.a.id, 'Processing your request...');
      const second = await chatResponseService.sendConfirmation('task_hist', users.a.id, 'Meeting scheduled!', { eventId: 'event_789' });
      await users.a.browser.json('/api/chat-messages/mark-read', { json: { messageIds: [first.messageId] } });
      const history = await users.a.browser.json<{ messages: Array<Record<string, unknown>> }>('/api/chat-messages/task_hist');
      expect(history.status).toBe(200);
      expect(history.body).toEqual({
        taskId: 'task_hist',
        messages: [
          {
            id: first.messageId,
            type: 'SCHEDULING_UPDATE',
            content: 'Processing your request...',
            data: {},
            read: true,
            createdAt: expect.any(String),
            attachments: [],
            priority: 'NORMAL',
          },
          {
            id: second.messageId,
            type: 'CONFIRMATION',
            content: 'Meeting scheduled!',
            data: { eventId: 'event_789' },
            read: false,
            createdAt: expect.any(String),
            attachments: [],
            priority: 'NORMAL',
          },
        ],
        count: 2,
      });
    });

    it('GET /api/chat-messages/unread-count returns { total }', async () => {
      const { total } = await chatResponseService.getUnreadCount(users.a.id);
      expect(total).toBeGreaterThan(0);
      expect(await users.a.browser.json('/api/chat-messages/unread-count')).toMatchObject({ status: 200, body: { total } });
    });

    it("POST /api/pusher/auth signs the caller's own channel; the SDK computes the same key:signature", async () => {
      const channel = `private-user-${users.a.id}`;
      const response = await users.a.browser.fetch('/api/pusher/auth', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ socket_id: '123.456', channel_name: channel }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { auth: string };
      const sdk = new Pusher({ ...PUSHER, useTLS: false });
      expect(body).toEqual(sdk.authorizeChannel('123.456', channel));
      expect(body.auth.startsWith(`${PUSHER.key}:`)).toBe(true);
      const forged = new Pusher({ ...PUSHER, secret: 'another-secret', useTLS: false });
      expect(body.auth).not.toBe(forged.authorizeChannel('123.456', channel).auth);

      const json = await users.a.browser.json('/api/pusher/auth', { json: { socket_id: '123.456', channel_name: channel } });
      expect(json.body).toEqual(body);
    });

    it('POST /api/pusher/user-auth signs the connection in as the caller, and only the caller; the SDK computes the same signature', async () => {
      const response = await users.a.browser.fetch('/api/pusher/user-auth', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ socket_id: '123.456' }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { auth: string; user_data: string };
      const sdk = new Pusher({ ...PUSHER, useTLS: false });
      expect(body).toEqual(sdk.authenticateUser('123.456', { id: users.a.id }));
      expect(JSON.parse(body.user_data)).toEqual({ id: users.a.id });
      // Whatever the body says, the user is the session's.
      const b = await users.b.browser.json<{ user_data: string }>('/api/pusher/user-auth', {
        json: { socket_id: '123.456', user_data: JSON.stringify({ id: users.a.id }) },
      });
      expect(b.status).toBe(200);
      expect(JSON.parse(b.body.user_data)).toEqual({ id: users.b.id });
    });

    it('a message sent while Pusher is configured reaches pusher-js subscribed through /api/pusher/auth', async () => {
      // pusher-js on the Pusher-protocol server, authorized by the app with user a's session; an
      // event reaches it only if the server accepted the app's trigger and its signature.
      const subscriber: ChannelSubscriber = await subscribeToChannel(
        pusherServer,
        `private-user-${users.a.id}`,
        async (socketId, channel) => {
          const { status, body } = await users.a.browser.json<{ auth: string }>('/api/pusher/auth', {
            json: { socket_id: socketId, channel_name: channel },
          });
          if (status !== 200) throw new Error(`/api/pusher/auth answered ${status}`);
          return body;
        },
        {
          signIn: async (socketId) => {
            const { status, body } = await users.a.browser.json<{ auth: string; user_data: string }>('/api/pusher/user-auth', {
              json: { socket_id: socketId },
            });
            if (status !== 200) throw new Error(`/api/pusher/user-auth answered ${status}`);
            return body;
          },
        },
      );
      try {
        // The service in the test process has no Pusher env; send through the app's own CLI, which does.
        const sent = await runCli(app.env, 'chat-send.ts', ['--user', users.a.id, '--type', 'info', '--content', 'via pusher']);
        expect(sent.output).toMatchObject({ success: true, pusherSent: true });
        const full = await subscriber.next(
          (e) => e.event === 'chat-message' && (e.data as { id: string }).id === sent.output.messageId,
          'the message',
        );
        expect(full.data).toMatchObject({ id: sent.output.messageId, type: 'INFO', content: 'via pusher' });

        // 6,000 two-byte characters: 12 KB, over Pusher's 10 KB event limit, so a thin event.
        const large = await runCli(app.env, 'chat-send.ts', ['--user', users.a.id, '--type', 'info', '--content', 'ü'.repeat(6_000)]);
        expect(large.output).toMatchObject({ success: true, pusherSent: true });
        const thin = await subscriber.next(
          (e) => e.event === 'chat-message' && (e.data as { id: string }).id === large.output.messageId,
          'the thin event',
        );
        expect(thin.data).toEqual({
          id: large.output.messageId,
          type: 'INFO',
          taskId: null,
          createdAt: expect.any(String),
          position: expect.any(Number),
          attachments: [],
          priority: 'NORMAL',
          truncated: true,
        });
      } finally {
        subscriber.disconnect();
      }
    });
  });

  describe("authorization: one user never reaches another's messages or channel", () => {
    for (const [owner, other] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      it(`user ${other} cannot read, count, mark or subscribe to user ${owner}'s messages`, async () => {
        const task = `task_private_${owner}`;
        const m = await chatResponseService.sendConfirmation(task, users[owner].id, `secret of ${owner}`);
        const before = await snapshot();
        const intruder = users[other].browser;
        const ownerCount = (await chatResponseService.getUnreadCount(users[owner].id)).total;
        const intruderCount = await chatResponseService.getUnreadCount(users[other].id);

        const list = await intruder.json<{ messages: Array<{ id: string }> }>('/api/chat-messages?limit=100');
        expect(list.body.messages.map((x) => x.id)).not.toContain(m.messageId);
        const history = await intruder.json(`/api/chat-messages/${task}`);
        expect(history.body).toEqual({ taskId: task, messages: [], count: 0 });
        expect((await intruder.json('/api/chat-messages/unread-count')).body).toEqual(intruderCount);
        expect((await intruder.json('/api/chat-messages/mark-read', { json: { messageIds: [m.messageId] } })).body).toEqual({
          success: true,
          markedCount: 0,
        });
        expect((await intruder.json('/api/chat-messages', { json: { messageIds: [m.messageId] } })).body).toEqual({
          success: true,
          markedCount: 0,
        });
        const sub = await intruder.json('/api/pusher/auth', {
          json: { socket_id: '1.1', channel_name: `private-user-${users[owner].id}` },
        });
        expect(sub).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });

        expect(await snapshot()).toBe(before);
        expect((await chatResponseService.getUnreadCount(users[owner].id)).total).toBe(ownerCount);
        // The owner still sees it.
        const own = await users[owner].browser.json<{ count: number }>(`/api/chat-messages/${task}`);
        expect(own.body.count).toBe(1);
      });
    }
  });

  describe('hostile input: the right status and code, and nothing stored changes', () => {
    const json = (body: unknown): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const raw = (body: string, type?: string): RequestInit => ({ method: 'POST', headers: type ? { 'content-type': type } : {}, body });
    const longId = 'x'.repeat(192);
    type Case = {
      name: string;
      path: string | (() => string);
      init?: RequestInit | (() => RequestInit);
      as?: 'anonymous' | 'tampered' | 'garbage';
      status: number;
      code: string;
    };
    const cases: Case[] = [
      { name: 'no cookie on GET /api/chat-messages', path: '/api/chat-messages', as: 'anonymous', status: 401, code: 'unauthorized' },
      { name: 'tampered session cookie', path: '/api/chat-messages', as: 'tampered', status: 401, code: 'unauthorized' },
      { name: 'garbage session cookie', path: '/api/chat-messages', as: 'garbage', status: 401, code: 'unauthorized' },
      { name: 'no cookie on unread-count', path: '/api/chat-messages/unread-count', as: 'anonymous', status: 401, code: 'unauthorized' },
      { name: 'no cookie on task history', path: '/api/chat-messages/task_1', as: 'anonymous', status: 401, code: 'unauthorized' },
      {
        name: 'no cookie on mark-read',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: ['x'] }),
        as: 'anonymous',
        status: 401,
        code: 'unauthorized',
      },
      {
        name: 'tampered cookie on mark-read',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: ['x'] }),
        as: 'tampered',
        status: 401,
        code: 'unauthorized',
      },
      {
        name: 'no cookie on pusher user auth',
        path: '/api/pusher/user-auth',
        init: raw('socket_id=1.1', 'application/x-www-form-urlencoded'),
        as: 'anonymous',
        status: 401,
        code: 'unauthorized',
      },
      {
        name: 'no cookie on pusher auth',
        path: '/api/pusher/auth',
        init: raw('socket_id=1.1&channel_name=private-user-x', 'application/x-www-form-urlencoded'),
        as: 'anonymous',
        status: 401,
        code: 'unauthorized',
      },
      { name: 'limit=0', path: '/api/chat-messages?limit=0', status: 400, code: 'invalid_input' },
      { name: 'limit=101', path: '/api/chat-messages?limit=101', status: 400, code: 'invalid_input' },
      { name: 'limit=abc', path: '/api/chat-messages?limit=abc', status: 400, code: 'invalid_input' },
      { name: 'limit=-1', path: '/api/chat-messages?limit=-1', status: 400, code: 'invalid_input' },
      { name: 'limit=1.5', path: '/api/chat-messages?limit=1.5', status: 400, code: 'invalid_input' },
      { name: 'limit=1e2', path: '/api/chat-messages?limit=1e2', status: 400, code: 'invalid_input' },
      { name: 'empty limit', path: '/api/chat-messages?limit=', status: 400, code: 'invalid_input' },
      { name: 'limit=99999999999999999999', path: '/api/chat-messages?limit=99999999999999999999', status: 400, code: 'invalid_input' },
      { name: 'limit with a NUL byte', path: '/api/chat-messages?limit=5%00', status: 400, code: 'invalid_input' },
      { name: 'empty JSON object', path: '/api/chat-messages/mark-read', init: json({}), status: 400, code: 'invalid_input' },
      {
        name: 'messageIds as a string',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: 'abc' }),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'empty messageIds',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: [] }),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: '101 ids',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: Array.from({ length: 101 }, (_, i) => `id${i}`) }),
        status: 400,
        code: 'invalid_input',
      },
      { name: 'numeric ids', path: '/api/chat-messages/mark-read', init: json({ messageIds: [1, 2] }), status: 400, code: 'invalid_input' },
      { name: 'null id', path: '/api/chat-messages/mark-read', init: json({ messageIds: [null] }), status: 400, code: 'invalid_input' },
      {
        name: 'object id',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: [{ $ne: '' }] }),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'empty-string id',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: [''] }),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: '192-char id',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: [longId] }),
        status: 400,
        code: 'invalid_input',
      },
      { name: 'body is an array', path: '/api/chat-messages/mark-read', init: json([]), status: 400, code: 'invalid_input' },
      { name: 'body is null', path: '/api/chat-messages/mark-read', init: json(null), status: 400, code: 'invalid_input' },
      { name: 'body is a number', path: '/api/chat-messages/mark-read', init: json(42), status: 400, code: 'invalid_input' },
      {
        name: 'malformed JSON',
        path: '/api/chat-messages/mark-read',
        init: raw('{"messageIds": [', 'application/json'),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'empty JSON body',
        path: '/api/chat-messages/mark-read',
        init: raw('', 'application/json'),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'deeply nested JSON',
        path: '/api/chat-messages/mark-read',
        init: raw(`${'['.repeat(20_000)}${']'.repeat(20_000)}`, 'application/json'),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'prototype-pollution body',
        path: '/api/chat-messages/mark-read',
        init: raw('{"__proto__":{"messageIds":["x"]}}', 'application/json'),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'text/plain body',
        path: '/api/chat-messages/mark-read',
        init: raw('{"messageIds":["x"]}', 'text/plain'),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: 'no content type',
        path: '/api/chat-messages/mark-read',
        init: raw('{"messageIds":["x"]}'),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: 'form body on mark-read',
        path: '/api/chat-messages/mark-read',
        init: raw('messageIds=x', 'application/x-www-form-urlencoded'),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: 'multipart body',
        path: '/api/chat-messages/mark-read',
        init: raw('--x\r\n\r\n--x--', 'multipart/form-data; boundary=x'),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: '1 MB body',
        path: '/api/chat-messages/mark-read',
        init: json({ messageIds: ['x'], pad: 'p'.repeat(1_000_000) }),
        status: 413,
        code: 'payload_too_large',
      },
      {
        name: '65 KiB body on the POST /api/chat-messages alias',
        path: '/api/chat-messages',
        init: json({ messageIds: ['x'], pad: 'p'.repeat(66_000) }),
        status: 413,
        code: 'payload_too_large',
      },
      {
        name: 'bad body on the POST /api/chat-messages alias',
        path: '/api/chat-messages',
        init: json({ ids: ['x'] }),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'cross-origin POST',
        path: '/api/chat-messages/mark-read',
        init: { ...json({ messageIds: ['x'] }), headers: { 'content-type': 'application/json', origin: 'http://evil.example' } },
        status: 403,
        code: 'forbidden',
      },
      {
        name: 'Origin: null POST',
        path: '/api/chat-messages/mark-read',
        init: { ...json({ messageIds: ['x'] }), headers: { 'content-type': 'application/json', origin: 'null' } },
        status: 403,
        code: 'forbidden',
      },
      {
        name: 'cross-site fetch without Origin',
        path: '/api/chat-messages/mark-read',
        init: {
          ...json({ messageIds: ['x'] }),
          headers: { 'content-type': 'application/json', origin: '', 'sec-fetch-site': 'cross-site' },
        },
        status: 403,
        code: 'forbidden',
      },
      {
        name: 'look-alike origin',
        path: '/api/chat-messages/mark-read',
        init: { ...json({ messageIds: ['x'] }), headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1.evil.example' } },
        status: 403,
        code: 'forbidden',
      },
      { name: '192-char task id', path: `/api/chat-messages/${longId}`, status: 400, code: 'invalid_input' },
      { name: '10,000-char task id', path: `/api/chat-messages/${'t'.repeat(10_000)}`, status: 400, code: 'invalid_input' },
      {
        name: 'forged socket_id',
        path: '/api/pusher/auth',
        init: raw('socket_id=abc&channel_name=private-user-x', 'application/x-www-form-urlencoded'),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'forged socket_id on pusher user auth',
        path: '/api/pusher/user-auth',
        init: raw('socket_id=1.2%0A3.4', 'application/x-www-form-urlencoded'),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'missing socket_id on pusher user auth',
        path: '/api/pusher/user-auth',
        init: () => json({}),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'socket_id with SQL',
        path: '/api/pusher/auth',
        init: raw("socket_id=1.2';DROP TABLE users;--&channel_name=x", 'application/x-www-form-urlencoded'),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'missing channel_name',
        path: '/api/pusher/auth',
        init: raw('socket_id=1.2', 'application/x-www-form-urlencoded'),
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'foreign channel',
        path: '/api/pusher/auth',
        init: () => json({ socket_id: '1.2', channel_name: `private-user-${users.b.id}` }),
        status: 403,
        code: 'forbidden',
      },
      {
        name: 'own id with a suffix',
        path: '/api/pusher/auth',
        init: () => json({ socket_id: '1.2', channel_name: `private-user-${users.a.id}x` }),
        status: 403,
        code: 'forbidden',
      },
      {
        name: 'presence channel',
        path: '/api/pusher/auth',
        init: () => json({ socket_id: '1.2', channel_name: `presence-user-${users.a.id}` }),
        status: 403,
        code: 'forbidden',
      },
      {
        name: 'pusher auth as text/plain',
        path: '/api/pusher/auth',
        init: raw('socket_id=1.2', 'text/plain'),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: 'cross-origin pusher auth',
        path: '/api/pusher/auth',
        init: {
          ...raw('socket_id=1.2&channel_name=x', 'application/x-www-form-urlencoded'),
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        },
        status: 403,
        code: 'forbidden',
      },
      {
        name: 'sign-up with a bad email',
        path: '/api/users',
        init: json({ email: 'not-an-email', password: 'long enough pw' }),
        as: 'anonymous',
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'sign-up with a short password',
        path: '/api/users',
        init: json({ email: 'short@example.com', password: 'short' }),
        as: 'anonymous',
        status: 400,
        code: 'invalid_input',
      },
      {
        name: 'sign-up with a taken email',
        path: '/api/users',
        init: () => json({ email: users.a.email, password: 'long enough pw' }),
        as: 'anonymous',
        status: 400,
        code: 'invalid_input',
      },
    ];

    it(`has at least 40 cases (${cases.length})`, () => {
      expect(cases.length).toBeGreaterThanOrEqual(40);
    });

    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      await chatResponseService.sendInfo('task_hostile', users.a.id, 'must not change');
      const before = await snapshot();
      const usersBefore = JSON.stringify(await queryRows(database, sql`SELECT id, email, "passwordHash" FROM users ORDER BY id`));
      const browser = new Browser(app.baseUrl);
      const token = users.a.browser.getCookie('next-auth.session-token')!;
      if (c.as === 'tampered') browser.setCookie('next-auth.session-token', `${token.slice(0, -6)}AAAAAA`);
      else if (c.as === 'garbage') browser.setCookie('next-auth.session-token', 'not-a-jwt');
      else if (c.as !== 'anonymous') browser.setCookie('next-auth.session-token', token);
      const init = typeof c.init === 'function' ? c.init() : c.init;
      const path = typeof c.path === 'function' ? c.path() : c.path;
      const response = await browser.fetch(path, init);
      const text = await response.text();
      expect({ status: response.status, text }).toMatchObject({ status: c.status });
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(c.code);
      expect(body.error.message).toEqual(expect.any(String));
      expect(text).not.toMatch(/at .*\.(js|ts):\d+/);
      expect(await snapshot()).toBe(before);
      expect(JSON.stringify(await queryRows(database, sql`SELECT id, email, "passwordHash" FROM users ORDER BY id`))).toBe(usersBefore);
    });

    it('names the offending field in a 400', async () => {
      const res = await users.a.browser.json<{ error: { message: string } }>('/api/chat-messages?limit=0');
      expect(res.body.error.message).toMatch(/limit/);
      const res2 = await users.a.browser.json<{ error: { message: string } }>('/api/chat-messages/mark-read', {
        json: { messageIds: [1] },
      });
      expect(res2.body.error.message).toMatch(/messageIds\.0/);
    });

    it('a unicode task id is an ordinary (empty) task, not an error', async () => {
      const res = await users.a.browser.json(`/api/chat-messages/${encodeURIComponent('タスク✓ 🙂')}`);
      expect(res).toMatchObject({ status: 200, body: { taskId: 'タスク✓ 🙂', messages: [], count: 0 } });
    });
  });
});

describe.skipIf(!hasPostgres)('rate limits (a budget of 3 requests per 2 s)', () => {
  let app: AppServer;
  const PASSWORD = 'a long enough password';

  beforeAll(async () => {
    app = await startApp({
      kind: 'postgres',
      env: { RATE_LIMIT_POINTS: '3', RATE_LIMIT_WINDOW_SECONDS: '2' },
    });
    for (const email of ['r1@example.com', 'r2@example.com']) {
      const { code } = await runCli(app.env, 'user-create.ts', ['--email', email, '--password', PASSWORD]);
      expect(code).toBe(0);
    }
  });
  afterAll(async () => app?.dispose());

  it('answers 429 with Retry-After once the budget is spent, per user, and recovers after it', async () => {
    const one = new Browser(app.baseUrl);
    const two = new Browser(app.baseUrl);
    expect(await one.signIn('r1@example.com', PASSWORD)).toBe(true);
    expect(await two.signIn('r2@example.com', PASSWORD)).toBe(true);
    const statuses: number[] = [];
    let limited: { status: number; body: unknown; headers: Headers } | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await one.json('/api/chat-messages/unread-count');
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(limited?.body).toMatchObject({ error: { code: 'rate_limited' } });
    const retryAfter = Number(limited?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    // Another user's budget is their own.
    expect((await two.json('/api/chat-messages/unread-count')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 250));
    expect((await one.json('/api/chat-messages/unread-count')).status).toBe(200);
  });
});

// The authentication budgets in an app of their own with a long window: each attempt costs a
// password hash, and with the 2-second window above a slow machine could see the budget refill
// between two attempts.
describe.skipIf(!hasPostgres)('authentication budgets (a budget of 2 attempts per 10 minutes)', () => {
  let app: AppServer;
  const PASSWORD = 'a long enough password';

  beforeAll(async () => {
    app = await startApp({ kind: 'postgres', env: { RATE_LIMIT_WINDOW_SECONDS: '600', AUTH_RATE_LIMIT_POINTS: '2' } });
    const { code } = await runCli(app.env, 'user-create.ts', ['--email', 'brute@example.com', '--password', PASSWORD]);
    expect(code).toBe(0);
  });
  afterAll(async () => app?.dispose());

  it('stops password guessing: after 2 attempts even the right password is refused, whatever X-Forwarded-For says', async () => {
    const guesser = new Browser(app.baseUrl);
    expect(await guesser.signIn('brute@example.com', 'guess one!', { 'x-forwarded-for': '10.0.0.1' })).toBe(false);
    expect(await guesser.signIn('brute@example.com', 'guess two!', { 'x-forwarded-for': '10.0.0.2' })).toBe(false);
    expect(await guesser.signIn('brute@example.com', PASSWORD, { 'x-forwarded-for': '10.0.0.3' })).toBe(false);
    expect(await guesser.signIn('BRUTE@example.com', PASSWORD)).toBe(false);
  });

  it('limits sign-ups with the authentication budget, however X-Forwarded-For is forged', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await new Browser(app.baseUrl).json('/api/users', {
        json: { email: `signup${i}@example.com`, password: PASSWORD },
        headers: { 'x-forwarded-for': `10.1.0.${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([201, 201, 429]);
  });
});
