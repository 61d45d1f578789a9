import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { PUSHER_BROWSER, PUSHER_BROWSER_ENV } from '@test/helpers/pusher-browser';
import { signInAsUser, subscribeToChannel, type ChannelSubscriber } from '@test/helpers/pusher-client';
import { startPusherServer, type PusherServer } from '@test/helpers/pusher-server';

// PUSHER_PRIVATE_CHANNEL=false through the built app: /api/pusher/auth refuses every private-user
// subscription with a JSON 403, so the only way to receive is a connection signed in through
// /api/pusher/user-auth, which the server closes when the session that signed it in ends. A
// hand-written client holding a (stolen) session cookie therefore gets nothing after that.

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const PASSWORD = 'a long enough password';

describe.skipIf(!hasPostgres)('strict Pusher (PUSHER_PRIVATE_CHANNEL=false) through the app', { timeout: 60_000 }, () => {
  let pusher: PusherServer;
  let app: AppServer;
  let userId: string;
  const subscribers: ChannelSubscriber[] = [];

  beforeAll(async () => {
    pusher = await startPusherServer({ key: PUSHER_BROWSER.key });
    app = await startApp({ kind: 'postgres', env: { ...pusher.env, ...PUSHER_BROWSER_ENV, PUSHER_PRIVATE_CHANNEL: 'false' } });
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'ana@example.com', '--password', PASSWORD, '--name', 'Ana']);
    expect(created.code).toBe(0);
    userId = created.output.id as string;
  });
  afterAll(async () => {
    for (const subscriber of subscribers) subscriber.disconnect();
    await app?.dispose();
    await pusher?.stop();
  });

  const signedInBrowser = async () => {
    const browser = new Browser(app.baseUrl);
    expect(await browser.signIn('ana@example.com', PASSWORD)).toBe(true);
    return browser;
  };
  /** /api/pusher/auth and /api/pusher/user-auth with `browser`'s session, as pusher-js calls them. */
  const viaApp = (browser: Browser) => ({
    authorize: async (socketId: string, channel: string) => {
      const { status, body } = await browser.json<{ auth: string }>('/api/pusher/auth', {
        json: { socket_id: socketId, channel_name: channel },
      });
      if (status !== 200) throw new Error(`/api/pusher/auth answered ${status}`);
      return body;
    },
    signIn: async (socketId: string) => {
      const { status, body } = await browser.json<{ auth: string; user_data: string }>('/api/pusher/user-auth', {
        json: { socket_id: socketId },
      });
      if (status !== 200) throw new Error(`/api/pusher/user-auth answered ${status}`);
      return body;
    },
  });

  it("refuses a subscription to the caller's own private channel with a JSON 403 saying why; the sign-in is still answered", async () => {
    const browser = await signedInBrowser();
    const refused = await browser.json<{ error: { code: string; message: string } }>('/api/pusher/auth', {
      json: { socket_id: '123.456', channel_name: `private-user-${userId}` },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect(refused.body.error.message).toMatch(/PUSHER_PRIVATE_CHANNEL=false/);
    // pusher-js posts form-urlencoded: the same answer.
    const form = await browser.fetch('/api/pusher/auth', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ socket_id: '123.456', channel_name: `private-user-${userId}` }),
    });
    expect(form.status).toBe(403);
    expect(form.headers.get('content-type')).toMatch(/application\/json/);
    expect((await browser.json('/api/pusher/user-auth', { json: { socket_id: '123.456' } })).status).toBe(200);
  });

  it("a stolen cookie's hand-written subscriber is refused, and its signed-in connection stops receiving when the session ends", async () => {
    const owner = await signedInBrowser();
    const thief = await signedInBrowser();
    await expect(subscribeToChannel(pusher, `private-user-${userId}`, viaApp(thief).authorize)).rejects.toThrow(/refused/);

    const connection = await signInAsUser(pusher, userId, viaApp(thief).signIn);
    subscribers.push(connection);
    const sent = await runCli(app.env, 'chat-send.ts', ['--user', userId, '--type', 'info', '--content', 'before the password change']);
    expect(sent.output).toMatchObject({ success: true, pusherSent: true });
    await connection.next((e) => e.event === 'chat-message', 'the message');

    // The owner changes the password: every other session ends, and the server closes their connections.
    const changed = await owner.json('/api/users/me/password', {
      json: { currentPassword: PASSWORD, newPassword: 'a brand new long password' },
    });
    expect(changed.status).toBe(200);
    await connection.closedByServer();
    expect(connection.errorCodes).toContain(4009);
    // The ended session can neither sign a connection in again nor subscribe.
    await expect(signInAsUser(pusher, userId, viaApp(thief).signIn)).rejects.toThrow();
    expect((await thief.json('/api/pusher/user-auth', { json: { socket_id: '123.456' } })).status).toBe(401);
    expect(connection.events.filter((e) => e.event === 'chat-message')).toHaveLength(1);
  });
});
