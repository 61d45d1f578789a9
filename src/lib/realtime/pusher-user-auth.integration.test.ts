import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endSession, isSessionActiveNow, startSession } from '@/lib/auth/session-store';
import { stopFanout } from '@/lib/realtime/fanout';
import { authenticatePusherUser, authorizeUserChannel } from '@/lib/realtime/pusher';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { changePassword, createUser } from '@/lib/services/user.service';
import { subscribeToChannel, type ChannelSubscriber } from '@test/helpers/pusher-client';
import { usePusherEnv } from '@test/helpers/pusher-env';
import { startPusherServer, type PusherServer } from '@test/helpers/pusher-server';
import { useFreshDatabase } from '@test/helpers/test-db';

// Pusher subscriptions end with the session, against a real Soketi that enforces user
// authentication (as the README requires): connections sign in as their user through
// `authenticatePusherUser` (what /api/pusher/user-auth answers), the session store's
// `sessionsEnded` terminates the user's connections, and a connection that never signs in (nor
// subscribes to a private channel) is closed by the server after its (here shortened) timeout.

const PASSWORD = 'a long enough password';
/** Soketi's `userAuthenticationTimeout` for this suite: long enough for a sign-in on a loaded machine. */
const SIGN_IN_TIMEOUT_MS = 3_000;

describe('Pusher connections and the sessions that opened them (Soketi)', () => {
  let server: PusherServer;
  let teardown: () => Promise<void>;
  let restoreEnv: (() => void) | undefined;
  const subscribers: ChannelSubscriber[] = [];

  beforeAll(async () => {
    server = await startPusherServer({ userAuthenticationTimeoutMs: SIGN_IN_TIMEOUT_MS });
    restoreEnv = usePusherEnv(server);
    ({ teardown } = await useFreshDatabase('pglite'));
  });
  afterAll(async () => {
    restoreEnv?.();
    await stopFanout();
    await teardown();
    await server?.stop();
  });
  afterEach(() => {
    for (const subscriber of subscribers.splice(0)) subscriber.disconnect();
  });

  /** pusher-js on the user's channel, signed in as the user (as the app's pages do). */
  async function connect(userId: string): Promise<ChannelSubscriber> {
    const subscriber = await subscribeToChannel(
      server,
      `private-user-${userId}`,
      (socketId, channel) => authorizeUserChannel(userId, socketId, channel),
      { signIn: (socketId) => authenticatePusherUser(userId, socketId) },
    );
    subscribers.push(subscriber);
    return subscriber;
  }

  const contents = (subscriber: ChannelSubscriber) =>
    subscriber.events.filter((e) => e.event === 'chat-message').map((e) => (e.data as { content?: string }).content);

  it("signing out closes the user's Pusher connections, so they stop receiving; another user's connection is untouched", async () => {
    const ana = await createUser({ email: 'ana-out@example.com', password: PASSWORD });
    const lee = await createUser({ email: 'lee-out@example.com', password: PASSWORD });
    const session = await startSession(ana.id);
    const anaTab = await connect(ana.id);
    const leeTab = await connect(lee.id);
    await chatResponseService.sendInfo('t', ana.id, 'before the sign-out');
    await anaTab.next((e) => e.event === 'chat-message', 'the first message');

    await endSession(session);

    await anaTab.closedByServer();
    expect(anaTab.errorCodes).toContain(4009);
    // What is sent now reaches a newly signed-in connection of Ana, never the closed one.
    const anaAgain = await connect(ana.id);
    await chatResponseService.sendInfo('t', ana.id, 'after the sign-out');
    await anaAgain.next((e) => e.event === 'chat-message', 'the message after the sign-out');
    expect(contents(anaTab)).toEqual(['before the sign-out']);
    expect(anaTab.state()).toBe('disconnected');

    // Lee's connection stayed up and still receives.
    await chatResponseService.sendInfo('t', lee.id, 'for Lee');
    await leeTab.next((e) => e.event === 'chat-message', "Lee's message");
    expect(leeTab.state()).toBe('connected');
    expect(leeTab.errorCodes).toEqual([]);
  });

  it("a password change closes the user's Pusher connections", async () => {
    const ana = await createUser({ email: 'ana-pw@example.com', password: PASSWORD });
    const keep = await startSession(ana.id);
    const stolen = await startSession(ana.id);
    const tab = await connect(ana.id);

    await changePassword({ userId: ana.id, keepSessionId: keep, currentPassword: PASSWORD, newPassword: 'a brand new long password' });

    expect(await isSessionActiveNow(stolen, ana.id)).toBe(false);
    await tab.closedByServer();
    expect(tab.errorCodes).toContain(4009);
  });

  it('closes a connection that never signs in (nor subscribes to a private channel) after the timeout', async () => {
    // Soketi, like Pusher's "authorized connections", counts an authorized private-channel
    // subscription as authenticating the connection: only a connection with neither is closed
    // (README, "Access given up ends live delivery too", for what that leaves open).
    const started = Date.now();
    const tab = await subscribeToChannel(server, 'public-announcements', () => {
      throw new Error('a public channel needs no authorization');
    });
    subscribers.push(tab);
    expect(tab.state()).toBe('connected');
    await tab.closedByServer(SIGN_IN_TIMEOUT_MS + 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SIGN_IN_TIMEOUT_MS - 500);
    expect(tab.errorCodes).toContain(4009);
  });

  it('signs out even when the Pusher server is down (the terminate fails and is logged)', async () => {
    const ana = await createUser({ email: 'ana-down@example.com', password: PASSWORD });
    const session = await startSession(ana.id);
    await server.stop();
    try {
      await expect(endSession(session)).resolves.toBeUndefined();
      expect(await isSessionActiveNow(session, ana.id)).toBe(false);
    } finally {
      await server.restart();
    }
  });
});
