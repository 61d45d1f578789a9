import Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import { chatMessages } from '@/lib/db/schema';
import { authenticatePusherUser, authorizeUserChannel, resetPusher } from '@/lib/realtime/pusher';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { subscribeToChannel, type ChannelSubscriber, type ReceivedEvent } from '@test/helpers/pusher-client';
import { startPusherServer, type PusherServer } from '@test/helpers/pusher-server';
import { useFreshDatabase } from '@test/helpers/test-db';

// The Pusher transport against a real Pusher-protocol server (Soketi) on loopback. What the
// server side published is asserted through the real pusher-js client subscribed to the channel,
// signed by our own `authorizeUserChannel`: an event arrives only if Soketi accepted the trigger,
// which it does only for the right path, app key and a valid HMAC signature of the app secret.

const APP_ID = '4242';
const KEY = 'test-key';
const SECRET = 'test-secret';
const TIMEOUT_MS = 400;
const MARKER_EVENT = 'test-marker';

type ChatEventData = { id: string; content?: string } & Record<string, unknown>;
const chatEvents = (subscriber: ChannelSubscriber) =>
  subscriber.events.filter((e) => e.event === 'chat-message').map((e) => e.data as ChatEventData);

describe('Pusher transport against a Pusher-protocol server on loopback (Soketi)', () => {
  let server: PusherServer;
  let database: Database;
  let teardown: () => Promise<void>;
  const subscribers: ChannelSubscriber[] = [];

  /**
   * pusher-js from Node on `private-user-{userId}`, authorized the way /api/pusher/auth does it and
   * signed in the way /api/pusher/user-auth does (the server closes connections that never sign in).
   */
  async function subscribe(userId: string, channel = `private-user-${userId}`): Promise<ChannelSubscriber> {
    const subscriber = await subscribeToChannel(server, channel, (socketId, name) => authorizeUserChannel(userId, socketId, name), {
      signIn: (socketId) => authenticatePusherUser(userId, socketId),
    });
    subscribers.push(subscriber);
    return subscriber;
  }

  /**
   * Triggers a marker on the channel after everything the test sent and waits for it: Soketi
   * broadcasts a trigger before answering it and one connection delivers in order, so once the
   * marker is in, any event the service published earlier is in too. No sleeping for absence.
   */
  async function settle(subscriber: ChannelSubscriber, channel: string): Promise<void> {
    const marker = `m-${Math.random()}`;
    const sdk = new Pusher({ appId: APP_ID, key: KEY, secret: SECRET, host: server.host, port: String(server.port), useTLS: false });
    await sdk.trigger(channel, MARKER_EVENT, { marker });
    await subscriber.next((e: ReceivedEvent) => e.event === MARKER_EVENT && (e.data as { marker: string }).marker === marker, 'the marker');
  }

  beforeAll(async () => {
    server = await startPusherServer({ appId: APP_ID, key: KEY, secret: SECRET });
    Object.assign(process.env, { ...server.env, PUSHER_TIMEOUT_MS: String(TIMEOUT_MS) });
    resetEnvCache();
    resetPusher();
    ({ database, teardown } = await useFreshDatabase('pglite'));
  });
  afterAll(async () => {
    for (const name of Object.keys(server?.env ?? {}).concat('PUSHER_TIMEOUT_MS')) delete process.env[name];
    resetEnvCache();
    resetPusher();
    await teardown();
    await server?.stop();
  });
  beforeEach(async () => {
    await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors CASCADE`);
  });
  afterEach(() => {
    for (const subscriber of subscribers.splice(0)) subscriber.disconnect();
  });

  it('triggers chat-message on private-user-{userId} with the message, signed with the app secret', async () => {
    const subscriber = await subscribe('user_9');
    const result = await chatResponseService.sendConfirmation('task_1', 'user_9', 'Meeting scheduled!', { eventId: 'e1' });
    expect(result).toMatchObject({ success: true, pusherSent: true, databaseStored: true });
    const received = await subscriber.next((e) => e.event === 'chat-message', 'the confirmation');
    await settle(subscriber, 'private-user-user_9');
    expect(chatEvents(subscriber)).toHaveLength(1);
    expect(received.event).toBe('chat-message');
    const [row] = await database.db.select().from(chatMessages);
    expect(received.data).toEqual({
      id: result.messageId,
      type: 'CONFIRMATION',
      taskId: 'task_1',
      content: 'Meeting scheduled!',
      data: { eventId: 'e1' },
      createdAt: row!.createdAt.toISOString(),
      position: 1,
      attachments: [],
      priority: 'NORMAL',
    });
  });

  it('carries the priority in the full and the thin event', async () => {
    const subscriber = await subscribe('user_9');
    const urgent = await chatResponseService.sendChatMessage({ type: 'error', userId: 'user_9', content: 'act now', priority: 'urgent' });
    const high = await chatResponseService.sendInfo('task_1', 'user_9', 'x'.repeat(9_000), { blob: 'y'.repeat(3_000) }, undefined, {
      priority: 'High',
    });
    expect([urgent.pusherSent, high.pusherSent]).toEqual([true, true]);
    await settle(subscriber, 'private-user-user_9');
    const events = chatEvents(subscriber);
    expect(events.map((e) => [e.id, e.priority, 'truncated' in e])).toEqual([
      [urgent.messageId, 'URGENT', false],
      [high.messageId, 'HIGH', true],
    ]);
  });

  it('sends data {} for a message sent without data, as the API and the stream do', async () => {
    const subscriber = await subscribe('user_9');
    const result = await chatResponseService.sendChatMessage({ type: 'info', userId: 'user_9', content: 'no data' });
    expect(result).toMatchObject({ success: true, pusherSent: true });
    const received = await subscriber.next((e) => e.event === 'chat-message', 'the message');
    expect(received.data).toMatchObject({ id: result.messageId, content: 'no data' });
    // toMatchObject would let null pass for {}.
    expect((received.data as ChatEventData).data).toEqual({});
  });

  it('reports pusherSent:false when Pusher refuses the trigger (a wrong secret: Soketi answers 200 with an error body)', async () => {
    const subscriber = await subscribe('user_9');
    process.env.PUSHER_SECRET = 'not-the-secret';
    resetEnvCache();
    resetPusher();
    try {
      const result = await chatResponseService.sendInfo('task_1', 'user_9', 'refused by Pusher');
      expect(result).toMatchObject({ success: true, databaseStored: true, pusherSent: false });
      expect(await database.db.select().from(chatMessages)).toHaveLength(1);
    } finally {
      process.env.PUSHER_SECRET = SECRET;
      resetEnvCache();
      resetPusher();
    }
    await settle(subscriber, 'private-user-user_9');
    expect(chatEvents(subscriber)).toHaveLength(0);
  });

  it('sends a thin event when the full message is over 10 KB', async () => {
    const subscriber = await subscribe('user_9');
    const result = await chatResponseService.sendInfo('task_1', 'user_9', 'x'.repeat(9_000), { blob: 'y'.repeat(3_000) });
    expect(result.pusherSent).toBe(true);
    const received = await subscriber.next((e) => e.event === 'chat-message', 'the thin event');
    expect(received.data).toEqual({
      id: result.messageId,
      type: 'INFO',
      taskId: 'task_1',
      createdAt: expect.any(String),
      position: 1,
      attachments: [],
      priority: 'NORMAL',
      truncated: true,
    });
  });

  it('lists the attachments (never their bytes) in the full event and in the thin one', async () => {
    const subscriber = await subscribe('user_9');
    const attachments = [{ filename: 'invite.ics', contentType: 'text/calendar', content: 'BEGIN:VCALENDAR' }];
    const small = await chatResponseService.sendConfirmation('task_1', 'user_9', 'booked', {}, undefined, { attachments });
    const large = await chatResponseService.sendInfo('task_1', 'user_9', 'x'.repeat(9_000), { blob: 'y'.repeat(3_000) }, undefined, {
      attachments,
    });
    const listed = (id: string) => [
      { id, filename: 'invite.ics', contentType: 'text/calendar', size: 15, url: `/api/chat-messages/attachments/${id}` },
    ];
    const stored = async (messageId: string) =>
      (await chatResponseService.getMessageById({ id: messageId, userId: 'user_9' }))!.attachments[0]!.id;
    const full = await subscriber.next(
      (e) => e.event === 'chat-message' && (e.data as ChatEventData).id === small.messageId,
      'the full event',
    );
    expect((full.data as ChatEventData).attachments).toEqual(listed(await stored(small.messageId!)));
    const thin = await subscriber.next(
      (e) => e.event === 'chat-message' && (e.data as ChatEventData).id === large.messageId,
      'the thin event',
    );
    expect(thin.data).toMatchObject({ truncated: true, attachments: listed(await stored(large.messageId!)) });
    expect(JSON.stringify(thin.data)).not.toContain('BEGIN:VCALENDAR');
  });

  it('sendActivity triggers agent-activity on the user’s channel only, and stores nothing', async () => {
    const own = await subscribe('user_5');
    const other = await subscribe('user_6');
    const sent = await chatResponseService.sendActivity({ userId: 'user_5', taskId: 'task_1', state: 'checking_availability' });
    expect(sent).toEqual({ success: true, streamsSent: true, pusherSent: true });
    const received = await own.next((e) => e.event === 'agent-activity', 'the activity');
    expect(received.data).toEqual({
      taskId: 'task_1',
      state: 'checking_availability',
      label: 'Checking availability…',
      ttlMs: 10_000,
      at: expect.any(String),
    });
    await settle(other, 'private-user-user_6');
    expect(other.events.filter((e) => e.event === 'agent-activity')).toHaveLength(0);
    expect(await database.db.select().from(chatMessages)).toHaveLength(0);
  });

  it('pusher-js signed by our auth receives sendChatMessage on its own channel, full and thin, and nothing of others', async () => {
    const own = await subscribe('user_7');
    const other = await subscribe('user_8');
    const small = await chatResponseService.sendChatMessage({ type: 'info', userId: 'user_7', content: 'hello over Soketi' });
    // 6,000 two-byte characters: within the 10,000-character limit, 12 KB on the wire.
    const large = await chatResponseService.sendChatMessage({ type: 'info', userId: 'user_7', content: 'ü'.repeat(6_000) });
    expect(small).toMatchObject({ success: true, pusherSent: true });
    expect(large).toMatchObject({ success: true, pusherSent: true });
    await settle(own, 'private-user-user_7');
    await settle(other, 'private-user-user_8');
    expect(chatEvents(own)).toEqual([
      expect.objectContaining({ id: small.messageId, content: 'hello over Soketi', position: 1 }),
      {
        id: large.messageId,
        type: 'INFO',
        taskId: null,
        createdAt: expect.any(String),
        position: 2,
        attachments: [],
        priority: 'NORMAL',
        truncated: true,
      },
    ]);
    expect(chatEvents(other)).toEqual([]);
    // Our auth signs only the caller's own channel: Soketi never lets user_8 onto user_7's.
    await expect(subscribe('user_8', 'private-user-user_7')).rejects.toThrow(/refused/);
  });

  it('keeps the message and reports pusherSent:false when the Pusher server is down (connection refused)', async () => {
    await server.stop();
    try {
      const result = await chatResponseService.sendInfo('task_1', 'user_9', 'still stored');
      expect(result).toMatchObject({ success: true, databaseStored: true, pusherSent: false });
      expect(await database.db.select().from(chatMessages)).toHaveLength(1);
    } finally {
      await server.restart();
    }
    // Tried once, not queued for later: nothing of it reaches a subscriber once the server is back.
    const subscriber = await subscribe('user_9');
    await settle(subscriber, 'private-user-user_9');
    expect(chatEvents(subscriber)).toHaveLength(0);
  });

  it('gives up on a Pusher server that never answers, keeping the message stored', async () => {
    const subscriber = await subscribe('user_9');
    server.pause();
    let messageId: string | undefined;
    try {
      const result = await chatResponseService.sendInfo('task_1', 'user_9', 'stored despite a hung Pusher');
      messageId = result.messageId;
      expect(result).toMatchObject({ success: true, databaseStored: true, pusherSent: false });
      expect(await database.db.select().from(chatMessages)).toHaveLength(1);
    } finally {
      server.resume();
    }
    // The abandoned request may still be handled once the server thaws; it is never sent twice.
    await settle(subscriber, 'private-user-user_9');
    expect(chatEvents(subscriber).filter((e) => e.id === messageId).length).toBeLessThanOrEqual(1);
  });

  it('publishes nothing for a repeated idempotency key', async () => {
    const subscriber = await subscribe('u');
    await chatResponseService.sendChatMessage({ type: 'info', userId: 'u', content: 'once', idempotencyKey: 'k1' });
    const again = await chatResponseService.sendChatMessage({ type: 'info', userId: 'u', content: 'once', idempotencyKey: 'k1' });
    expect(again).toMatchObject({ duplicate: true, pusherSent: false });
    await settle(subscriber, 'private-user-u');
    expect(chatEvents(subscriber)).toHaveLength(1);
  });
});
