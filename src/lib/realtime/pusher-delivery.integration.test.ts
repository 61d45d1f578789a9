import Pusher from 'pusher';
import PusherJs from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endSession, startSession } from '@/lib/auth/session-store';
import { resetEnvCache } from '@/lib/config/env';
import { AppError } from '@/lib/errors/app-error';
import { pusherTransport, type PusherClass, type PusherOptions } from '@/lib/realtime/client/transports/pusher';
import type { ClientChatMessage } from '@/lib/realtime/client/types';
import { stopFanout } from '@/lib/realtime/fanout';
import { authenticatePusherUser, authorizeUserChannel, publishActivityToPusher, resetPusher } from '@/lib/realtime/pusher';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { createUser } from '@/lib/services/user.service';
import { signInAsUser, subscribeToChannel, type ChannelSubscriber, type ReceivedEvent } from '@test/helpers/pusher-client';
import { usePusherEnv } from '@test/helpers/pusher-env';
import { startPusherServer, type PusherServer } from '@test/helpers/pusher-server';
import { useFreshDatabase } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';

// Who gets a user's Pusher events, against a real Soketi on loopback that enforces user
// authentication. Every event goes to the connections signed in as the user (Pusher's
// `#server-to-user-{id}`, what the app's pages listen to); by default it also goes to the guide's
// `private-user-{id}`, and with PUSHER_PRIVATE_CHANNEL=false (strict) only to signed-in
// connections, which a session's end closes: a stolen cookie's hand-written subscriber gets nothing.

const PASSWORD = 'a long enough password';
/** Waits for a condition (polled), never for a fixed time. */
const until = (condition: () => boolean, what: string) => waitFor(async () => (condition() ? true : undefined), what, 15_000);
const MARKER_EVENT = 'test-marker';

describe('Pusher delivery to signed-in connections and the private channel (Soketi)', () => {
  let server: PusherServer;
  let teardown: () => Promise<void>;
  let restoreEnv: (() => void) | undefined;
  const subscribers: ChannelSubscriber[] = [];
  let emails = 0;

  beforeAll(async () => {
    server = await startPusherServer();
    restoreEnv = usePusherEnv(server, ['PUSHER_PRIVATE_CHANNEL']);
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

  const setStrict = (strict: boolean) => {
    if (strict) process.env.PUSHER_PRIVATE_CHANNEL = 'false';
    else delete process.env.PUSHER_PRIVATE_CHANNEL;
    resetEnvCache();
    resetPusher();
  };
  const newUser = async () => (await createUser({ email: `user-${++emails}@example.com`, password: PASSWORD })).id;
  const sdk = () =>
    new Pusher({
      appId: server.appId,
      key: server.key,
      secret: server.secret,
      host: server.host,
      port: String(server.port),
      useTLS: false,
    });

  /** A connection signed in as the user, as the app's pages make (`/api/pusher/user-auth`). */
  async function signedIn(userId: string): Promise<ChannelSubscriber> {
    const subscriber = await signInAsUser(server, userId, (socketId) => authenticatePusherUser(userId, socketId));
    subscribers.push(subscriber);
    return subscriber;
  }
  /** The guide's client: `private-user-{id}` authorized by `authorize` (our /api/pusher/auth by default), no sign-in. */
  async function privateSubscriber(
    userId: string,
    authorize = (socketId: string, channel: string) => authorizeUserChannel(userId, socketId, channel),
  ) {
    const subscriber = await subscribeToChannel(server, `private-user-${userId}`, authorize);
    subscribers.push(subscriber);
    return subscriber;
  }

  /**
   * Sends a marker the same way after everything the test published and waits for it: Soketi
   * broadcasts a trigger before answering it and one connection delivers in order, so once the
   * marker is in, anything published earlier is in too. No sleeping for absence.
   */
  async function settle(subscriber: ChannelSubscriber, channel: string): Promise<void> {
    const marker = `m-${Math.random()}`;
    await (channel.startsWith('#server-to-user-')
      ? sdk().sendToUser(channel.slice('#server-to-user-'.length), MARKER_EVENT, { marker })
      : sdk().trigger(channel, MARKER_EVENT, { marker }));
    await subscriber.next((e: ReceivedEvent) => e.event === MARKER_EVENT && (e.data as { marker: string }).marker === marker, 'the marker');
  }
  const chatEvents = (subscriber: ChannelSubscriber) =>
    subscriber.events.filter((e) => e.event === 'chat-message').map((e) => e.data as { id: string; content?: string; truncated?: true });

  describe('default (PUSHER_PRIVATE_CHANNEL unset: the guide’s private channel too)', () => {
    beforeAll(() => setStrict(false));

    it('one trigger reaches both the guide’s private-channel subscriber and a signed-in connection, each once, thin over 10 KB', async () => {
      const userId = await newUser();
      const guide = await privateSubscriber(userId);
      const page = await signedIn(userId);
      const short = await chatResponseService.sendInfo('t', userId, 'to both');
      const long = await chatResponseService.sendInfo('t', userId, 'x'.repeat(9_000), { blob: 'y'.repeat(3_000) });
      expect([short.pusherSent, long.pusherSent]).toEqual([true, true]);
      await settle(guide, `private-user-${userId}`);
      await settle(page, `#server-to-user-${userId}`);
      for (const subscriber of [guide, page]) {
        expect(chatEvents(subscriber).map((e) => [e.id, e.content, e.truncated])).toEqual([
          [short.messageId, 'to both', undefined],
          [long.messageId, undefined, true],
        ]);
      }
    });

    it('sends the agent activity to signed-in connections too', async () => {
      const userId = await newUser();
      const page = await signedIn(userId);
      const activity = { taskId: 't1', state: 'booking' as const, label: 'Booking…', ttlMs: 10_000, at: new Date(0).toISOString() };
      expect(await publishActivityToPusher(userId, activity)).toBe(true);
      expect((await page.next((e) => e.event === 'agent-activity', 'the activity')).data).toEqual(activity);
    });

    it('the page’s transport goes live on sign-in, receives each message once, and never asks for a private-channel signature', async () => {
      const userId = await newUser();
      let channelSignatures = 0;
      // pusher-js as the page loads it, with its two endpoints answered in-process by what they call.
      class PagePusher extends PusherJs {
        constructor(key: string, options: PusherOptions) {
          super(key, {
            ...options,
            wsHost: server.host,
            wsPort: server.port,
            enabledTransports: ['ws'],
            disableStats: true,
            channelAuthorization: {
              customHandler: ({ socketId, channelName }, callback) => {
                channelSignatures++;
                callback(null, authorizeUserChannel(userId, socketId, channelName));
              },
            },
            userAuthentication: {
              customHandler: ({ socketId }, callback) => callback(null, authenticatePusherUser(userId, socketId)),
            },
          });
        }
      }
      const received: Array<{ id: string; advanceCursor?: boolean }> = [];
      const states: string[] = [];
      const asked: number[] = [];
      const stop = pusherTransport({
        settings: { key: server.key, cluster: 'mt1', useTLS: false },
        userId,
        fetchAfter: async (after) => {
          asked.push(after);
          return { messages: [], hasMore: false };
        },
        loadPusher: async () => PagePusher as unknown as PusherClass,
      }).start(() => 0, {
        messages: (messages: ClientChatMessage[], options) =>
          received.push(...messages.map((m) => ({ id: m.id, advanceCursor: options?.advanceCursor }))),
        read: () => undefined,
        state: (state) => void states.push(state),
        countChanged: () => undefined,
        error: (err) => {
          throw err;
        },
        failed: (failure) => void states.push(`failed ${JSON.stringify(failure)}`),
      });
      try {
        await until(() => states.includes('live'), 'the transport going live');
        // Live means the catch-up from the cursor runs (after the burst delay).
        await until(() => asked.length > 0, 'the catch-up from the cursor');
        const sent: Array<string | undefined> = [];
        for (const content of ['one', 'two', 'three']) sent.push((await chatResponseService.sendInfo('t', userId, content)).messageId);
        await until(() => sent.every((id) => received.some((m) => m.id === id)), 'the three messages');
        // A signed-in observer of the same user: once its marker is in, everything before it reached the page too.
        const observer = await signedIn(userId);
        await settle(observer, `#server-to-user-${userId}`);
        expect(received.map((m) => m.id)).toEqual(sent);
        expect(received.every((m) => m.advanceCursor === false)).toBe(true);
        expect(channelSignatures).toBe(0);
        expect(states.filter((s) => s.startsWith('failed'))).toEqual([]);
      } finally {
        stop();
      }
    });
  });

  describe('strict (PUSHER_PRIVATE_CHANNEL=false)', () => {
    beforeAll(() => setStrict(true));
    afterAll(() => setStrict(false));

    it('refuses every private-user subscription with a forbidden error naming why, even to the channel’s own user', async () => {
      const userId = await newUser();
      expect(() => authorizeUserChannel(userId, '123.456', `private-user-${userId}`)).toThrow(AppError);
      try {
        authorizeUserChannel(userId, '123.456', `private-user-${userId}`);
      } catch (err) {
        expect(err).toMatchObject({ code: 'forbidden', status: 403 });
        expect((err as Error).message).toMatch(/PUSHER_PRIVATE_CHANNEL=false/);
      }
      // A hand-written client holding the user's session: its subscription is refused.
      await expect(privateSubscriber(userId)).rejects.toThrow(/refused/);
    });

    it('publishes nothing on the private channel: only signed-in connections get the message', async () => {
      const userId = await newUser();
      // Signed by the SDK directly, as a subscription authorized before the switch to strict would be.
      const before = await privateSubscriber(userId, (socketId, channel) => sdk().authorizeChannel(socketId, channel));
      const page = await signedIn(userId);
      const result = await chatResponseService.sendInfo('t', userId, 'signed-in only');
      expect(result.pusherSent).toBe(true);
      await page.next((e) => e.event === 'chat-message', 'the message');
      await settle(before, `private-user-${userId}`);
      expect(chatEvents(before)).toEqual([]);
      expect(chatEvents(page).map((e) => e.content)).toEqual(['signed-in only']);
    });

    it('a signed-in connection receives messages until its session ends, when the server closes it', async () => {
      const userId = await newUser();
      const session = await startSession(userId);
      const page = await signedIn(userId);
      await chatResponseService.sendInfo('t', userId, 'before the sign-out');
      await page.next((e) => e.event === 'chat-message', 'the first message');

      await endSession(session);

      await page.closedByServer();
      expect(page.errorCodes).toContain(4009);
      // What is sent now reaches a newly signed-in connection, never the closed one.
      const again = await signedIn(userId);
      await chatResponseService.sendInfo('t', userId, 'after the sign-out');
      await again.next((e) => e.event === 'chat-message', 'the message after the sign-out');
      expect(chatEvents(page).map((e) => e.content)).toEqual(['before the sign-out']);
      expect(page.state()).toBe('disconnected');
    });
  });
});
