import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { eventData, openSse } from '@test/helpers/sse-client';

// Priority and retention over the built app's HTTP API on PostgreSQL (the test writes and
// back-dates rows directly): the minPriority filter, per-priority unread counts, the retention
// rules, and a purged message that is a 404 and that the stream's replay skips.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const PASSWORD = 'a long enough password';

describe.skipIf(!hasPostgres)('priority and retention over HTTP (PostgreSQL)', () => {
  let app: AppServer;
  let database: Database;
  let browser: Browser;
  let userId: string;

  beforeAll(async () => {
    app = await startApp({ kind: 'postgres', env: { CHAT_RETENTION: 'SCHEDULING_UPDATE=7d,INFO=30d,default=365d' } });
    database = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' });
    setDatabase(database);
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'prio@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(0);
    userId = created.output.id as string;
    browser = new Browser(app.baseUrl);
    expect(await browser.signIn('prio@example.com', PASSWORD)).toBe(true);
  });
  afterAll(async () => {
    await closeDatabase();
    await app?.dispose();
  });

  it('filters the unread list with minPriority in any case, each item carrying its priority', async () => {
    const send = (content: string, priority?: string) =>
      chatResponseService.sendChatMessage({ type: 'info', userId, taskId: 'prio', content, ...(priority ? { priority } : {}) });
    await send('normal');
    const high = await send('high', 'high');
    await send('low', 'low');
    const urgent = await send('urgent', 'urgent');
    for (const value of ['high', 'HIGH', 'High']) {
      const page = await browser.json<{ messages: Array<{ id: string; priority: string }>; total: number; hasMore: boolean }>(
        `/api/chat-messages?minPriority=${value}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.messages.map((m) => [m.id, m.priority])).toEqual([
        [high.messageId, 'HIGH'],
        [urgent.messageId, 'URGENT'],
      ]);
      expect(page.body).toMatchObject({ total: 2, hasMore: false });
    }
    const all = await browser.json<{ messages: Array<{ priority: string }> }>('/api/chat-messages');
    expect(all.body.messages.map((m) => m.priority)).toEqual(['NORMAL', 'HIGH', 'LOW', 'URGENT']);
  });

  it('refuses an unknown minPriority with a JSON 400 naming it', async () => {
    const res = await browser.json<{ error: { code: string; message: string } }>('/api/chat-messages?minPriority=critical');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    expect(res.body.error.message).toMatch(/minPriority/);
  });

  it('answers the unread count in all and per priority', async () => {
    const res = await browser.json('/api/chat-messages/unread-count');
    expect(res).toMatchObject({ status: 200, body: { total: 4, byPriority: { LOW: 1, NORMAL: 1, HIGH: 1, URGENT: 1 } } });
  });

  it('tells the signed-in user the retention rules in force, and nobody else', async () => {
    const res = await browser.json<{ keepForever: boolean; rules: Array<{ type: string; keepFor: string | null; source: string }> }>(
      '/api/chat-messages/retention',
    );
    expect(res.status).toBe(200);
    expect(res.body.keepForever).toBe(false);
    expect(res.body.rules.map((r) => [r.type, r.keepFor, r.source])).toEqual([
      ['SCHEDULING_UPDATE', '7d', 'type'],
      ['CONFIRMATION', '365d', 'default'],
      ['CLARIFICATION', '365d', 'default'],
      ['CANCELLATION', '365d', 'default'],
      ['ERROR', '365d', 'default'],
      ['INFO', '30d', 'type'],
    ]);
    const anonymous = await new Browser(app.baseUrl).json('/api/chat-messages/retention');
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  });

  it('answers 404 for a purged message, and the stream replays around it with priorities', async () => {
    const before = await chatResponseService.sendInfo('gone', userId, 'before', undefined, undefined, { priority: 'high' });
    const expired = await chatResponseService.sendSchedulingUpdate('gone', userId, 'expired update');
    const after = await chatResponseService.sendInfo('gone', userId, 'after');
    await database.db.execute(sql`UPDATE chat_messages SET "createdAt" = now() - interval '8 days' WHERE id = ${expired.messageId!}`);
    expect((await browser.json(`/api/chat-messages/by-id/${expired.messageId}`)).status).toBe(200);

    const purged = await runCli(app.env, 'chat-purge.ts', []);
    expect(purged).toEqual({ code: 0, output: { deleted: 1, byType: { SCHEDULING_UPDATE: 1 } } });

    const gone = await browser.json(`/api/chat-messages/by-id/${expired.messageId}`);
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const task = await browser.json<{ messages: Array<{ id: string }> }>('/api/chat-messages/gone');
    expect(task.body.messages.map((m) => m.id)).toEqual([before.messageId, after.messageId]);

    // A client whose cursor is just before the expired message.
    const stream = await openSse(browser, '/api/chat-messages/stream', { lastEventId: before.position! - 1 });
    try {
      const events = await stream.events.until((e) => e.event === 'ready');
      const messages = events.filter((e) => e.event === 'chat-message');
      expect(messages.map((e) => Number(e.id))).toEqual([before.position, after.position]);
      expect(messages.map((e) => eventData<{ priority: string }>(e).priority)).toEqual(['HIGH', 'NORMAL']);
    } finally {
      await stream.close();
    }
    // The next message takes a new position, past the purged one.
    const next = await chatResponseService.sendInfo('gone', userId, 'next');
    expect(next.position).toBe(after.position! + 1);
  });
});

// The same on the embedded database: messages stored before the app starts (PGlite is
// single-process), then the app's own in-process worker purges the expired one on its schedule.
describe('priority and retention over HTTP (embedded PGlite, the recurring purge in the app)', () => {
  let app: AppServer;
  let browser: Browser;
  const sent: Record<string, string> = {};

  beforeAll(async () => {
    app = await startApp({
      kind: 'pglite',
      env: { CHAT_RETENTION: 'INFO=2s', CHAT_RETENTION_INTERVAL: '1s' },
      beforeStart: async (env) => {
        const created = await runCli(env, 'user-create.ts', ['--email', 'embedded@example.com', '--password', PASSWORD]);
        expect(created.code).toBe(0);
        const user = created.output.id as string;
        // Sent through the service on the app's database directory, closed again before the app opens it
        // (one CLI start per message would leave the port picked for the app unused for long).
        setDatabase(await openDatabase({ pgliteDir: env.PGLITE_DIR! }));
        try {
          const send = async (content: string, type: string, priority?: string) => {
            const result = await chatResponseService.sendChatMessage({
              type,
              userId: user,
              taskId: 'emb',
              content,
              ...(priority ? { priority } : {}),
            });
            expect(result.success).toBe(true);
            sent[content] = result.messageId!;
          };
          await send('info soon gone', 'info');
          await send('urgent confirmation', 'confirmation', 'urgent');
          await send('high question', 'clarification', 'High');
          await send('low update', 'scheduling_update', 'low');
        } finally {
          await closeDatabase();
        }
      },
    });
    browser = new Browser(app.baseUrl);
    expect(await browser.signIn('embedded@example.com', PASSWORD)).toBe(true);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('filters by minPriority and counts per priority', async () => {
    const page = await browser.json<{ messages: Array<{ content: string; priority: string }>; total: number }>(
      '/api/chat-messages?minPriority=HIGH',
    );
    expect(page.body.messages.map((m) => [m.content, m.priority])).toEqual([
      ['urgent confirmation', 'URGENT'],
      ['high question', 'HIGH'],
    ]);
    expect(page.body.total).toBe(2);
    const count = await browser.json<{ byPriority: Record<string, number> }>('/api/chat-messages/unread-count');
    expect(count.body.byPriority).toMatchObject({ URGENT: 1, HIGH: 1, LOW: 1 });
  });

  it('purges the expired INFO message on its own (404 afterwards) and keeps the rest', async () => {
    const rules = await browser.json<{ rules: Array<{ type: string; keepFor: string | null }> }>('/api/chat-messages/retention');
    expect(rules.body.rules.find((r) => r.type === 'INFO')?.keepFor).toBe('2s');
    expect(rules.body.rules.find((r) => r.type === 'CONFIRMATION')?.keepFor).toBeNull();
    const deadline = Date.now() + 30_000;
    let status = 200;
    while (status !== 404 && Date.now() < deadline) {
      status = (await browser.json(`/api/chat-messages/by-id/${sent['info soon gone']}`)).status;
      if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(404);
    const task = await browser.json<{ messages: Array<{ content: string }> }>('/api/chat-messages/emb');
    expect(task.body.messages.map((m) => m.content)).toEqual(['urgent confirmation', 'high question', 'low update']);
  });
});
