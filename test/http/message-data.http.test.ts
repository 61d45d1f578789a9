import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { subscribeToChannel, type ChannelSubscriber } from '@test/helpers/pusher-client';
import { startPusherServer, type PusherServer } from '@test/helpers/pusher-server';
import { eventData, openSse } from '@test/helpers/sse-client';
import { queryRows } from '@test/helpers/test-db';

// A message's `data` over every transport (PostgreSQL, the real Soketi): `{}` when the sender gave
// none, on the REST list, by-id, the SSE stream and the Pusher event alike; and a trigger the
// Pusher server refuses is reported as not sent, although Soketi answers it with HTTP 200.
// Messages are sent through the app's own CLI (the service with the app's Pusher settings).

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const PUSHER = { appId: '778', key: 'data-key', secret: 'data-secret', cluster: 'mt1' };
const PASSWORD = 'a long enough password';

describe.skipIf(!hasPostgres)('message data over every transport (PostgreSQL, Soketi)', () => {
  let app: AppServer;
  let database: Database;
  let pusherServer: PusherServer;
  let userId = '';
  let browser: Browser;
  let subscriber: ChannelSubscriber;

  const send = (args: string[], env: NodeJS.ProcessEnv = app.env) =>
    runCli(env, 'chat-send.ts', ['--user', userId, '--type', 'info', ...args]);
  const stored = async () => (await queryRows<{ n: number }>(database, sql`SELECT count(*)::int AS n FROM chat_messages`))[0]!.n;

  beforeAll(async () => {
    pusherServer = await startPusherServer(PUSHER);
    app = await startApp({ kind: 'postgres', env: { ...pusherServer.env, PUSHER_CLUSTER: PUSHER.cluster } });
    database = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' });
    setDatabase(database);
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'data@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(0);
    userId = created.output.id as string;
    browser = new Browser(app.baseUrl);
    expect(await browser.signIn('data@example.com', PASSWORD)).toBe(true);
    subscriber = await subscribeToChannel(
      pusherServer,
      `private-user-${userId}`,
      async (socketId, channel) => {
        const { status, body } = await browser.json<{ auth: string }>('/api/pusher/auth', {
          json: { socket_id: socketId, channel_name: channel },
        });
        if (status !== 200) throw new Error(`/api/pusher/auth answered ${status}`);
        return body;
      },
      {
        // Soketi closes connections that never sign in: this one lives for the whole suite.
        signIn: async (socketId) => {
          const { status, body } = await browser.json<{ auth: string; user_data: string }>('/api/pusher/user-auth', {
            json: { socket_id: socketId },
          });
          if (status !== 200) throw new Error(`/api/pusher/user-auth answered ${status}`);
          return body;
        },
      },
    );
  });
  afterAll(async () => {
    subscriber?.disconnect();
    await closeDatabase();
    await app?.dispose();
    await pusherServer?.stop();
  });

  it('sends data {} for a message without data on the REST list, by-id, the stream and Pusher', async () => {
    const sent = await send(['--content', 'no data here']);
    expect(sent.output).toMatchObject({ success: true, pusherSent: true });
    const id = sent.output.messageId as string;

    const pushed = await subscriber.next((e) => e.event === 'chat-message' && (e.data as { id: string }).id === id, 'the event');
    expect((pushed.data as { data: unknown }).data).toEqual({});
    const list = await browser.json<{ messages: Array<{ id: string; data: unknown }> }>('/api/chat-messages');
    expect(list.body.messages.find((m) => m.id === id)?.data).toEqual({});
    expect((await browser.json<{ data: unknown }>(`/api/chat-messages/by-id/${id}`)).body.data).toEqual({});
    const stream = await openSse(browser, '/api/chat-messages/stream?since=0');
    const events = await stream.events.until((e) => e.event === 'ready');
    await stream.close();
    const replayed = events.filter((e) => e.event === 'chat-message').map((e) => eventData<{ id: string; data: unknown }>(e));
    expect(replayed.find((m) => m.id === id)?.data).toEqual({});
  });

  it('reports pusherSent:false, the message stored, when Pusher refuses the trigger (Soketi answers 200 with an error)', async () => {
    const before = await stored();
    const sent = await send(['--content', 'signed with the wrong secret'], { ...app.env, PUSHER_SECRET: 'not-the-secret' });
    expect(sent.output).toMatchObject({ success: true, databaseStored: true, pusherSent: false });
    expect(await stored()).toBe(before + 1);
    // Nothing of it reached the channel: the next event there is the one sent with the right secret.
    const next = await send(['--content', 'signed right']);
    expect(next.output).toMatchObject({ success: true, pusherSent: true });
    const arrived = await subscriber.next(
      (e) => e.event === 'chat-message' && (e.data as { content?: string }).content !== 'no data here',
      'an event',
    );
    expect((arrived.data as { id: string }).id).toBe(next.output.messageId);
  });
});
