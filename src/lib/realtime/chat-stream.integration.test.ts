// Over 300 lines: the stream's replay, live delivery, limits and shutdown share one set of
// fixtures on both databases; split, each file would repeat them.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { NextRequest } from 'next/server';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import { AppError } from '@/lib/errors/app-error';
import { chatStreamStats, openChatStream, resetChatStreamStats } from '@/lib/realtime/chat-stream';
import { fanoutStatus, stopFanout } from '@/lib/realtime/fanout';
import * as hub from '@/lib/realtime/hub';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { GET as streamRoute } from '@/app/api/chat-messages/stream/route';
import { eventData, SseReader, type SseEvent } from '@test/helpers/sse-client';
import { mintSessionToken } from '@test/helpers/sessions';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';

// The stream, hub and fan-out in this process, without HTTP: what each stream sends, the hand-off
// from replay to live, teardown, the per-user limit, and (PostgreSQL) LISTEN reconnection.

const SECRET = 'stream-test-secret-0123456789abcdef';

interface Opened {
  events: SseReader;
  abort: AbortController;
}

/** Opens a stream directly on the realtime module (no HTTP). */
async function openStream(userId: string, since: number | null, options: { heartbeatMs?: number; max?: number } = {}): Promise<Opened> {
  const abort = new AbortController();
  const stream = await openChatStream({
    userId,
    since,
    signal: abort.signal,
    heartbeatMs: options.heartbeatMs ?? 60_000,
    maxStreamsPerUser: options.max,
  });
  return { events: new SseReader(stream), abort };
}

/** A big message: 10,000 characters of content and ~60 KB of data (about 70 KB on the wire). */
const bigContent = (i: number) => `big ${i} `.padEnd(10_000, 'c');
const bigData = (i: number) => ({ n: i, blob: 'd'.repeat(60_000) });
/**
 * What one stream may hold for its client at any time, generously: the buffer's high-water mark
 * (128 KiB) plus one message; and what one replay page may hold: 128 KiB plus one message.
 */
const MAX_QUEUED_BYTES = 512 * 1024;
const MAX_PAGE_BYTES = 512 * 1024;

const positionsOf = (events: SseEvent[]) => events.filter((e) => e.event === 'chat-message').map((e) => Number(e.id));
const until = (condition: () => boolean, what: string) => waitFor(async () => (condition() ? true : undefined), what, 10_000);

describe.each(DATABASE_KINDS)('chat stream on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  const opened: Opened[] = [];

  beforeAll(async () => {
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => {
    for (const o of opened) o.abort.abort();
    await stopFanout();
    await teardown();
  });
  beforeEach(async () => {
    await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors CASCADE`);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /**
   * Runs `during` right after the stream's next read of `fn` returned from the database and before
   * the stream sees the result: the exact window between the replay's last snapshot and going
   * live. On PostgreSQL it also waits until this process has heard the resulting notification.
   */
  function interleave(fn: 'selectPageAfter' | 'selectLastPosition', during: () => Promise<unknown>) {
    const original = chatMessageRepository[fn] as (...args: unknown[]) => Promise<unknown>;
    const spy = vi.spyOn(chatMessageRepository, fn).mockImplementation((async (...args: unknown[]) => {
      const result = await original(...args);
      spy.mockRestore();
      const heard = fanoutStatus().notifications;
      await during();
      if (kind === 'postgres') await until(() => fanoutStatus().notifications > heard, 'the notification');
      return result;
    }) as never);
  }

  /** Opens a stream that afterAll closes. */
  async function track(userId: string, since: number | null, options?: { heartbeatMs?: number; max?: number }): Promise<Opened> {
    const stream = await openStream(userId, since, options);
    opened.push(stream);
    return stream;
  }

  it('starts with retry: 2000, replays every message after since with id = position, then ready, then live', async () => {
    for (let i = 1; i <= 3; i++) await chatResponseService.sendInfo('t', 'u1', `m${i}`);
    const { events } = await track('u1', 1);
    const replay = await events.until((e) => e.event === 'ready');
    expect(events.retry).toBe(2000);
    expect(replay.map((e) => [e.event, e.id])).toEqual([
      ['chat-message', '2'],
      ['chat-message', '3'],
      ['ready', undefined],
    ]);
    expect(eventData(replay[0]!)).toEqual({
      id: expect.any(String),
      type: 'INFO',
      taskId: 't',
      content: 'm2',
      data: {},
      createdAt: expect.any(String),
      attachments: [],
      read: false,
      position: 2,
      priority: 'NORMAL',
    });
    expect(eventData(replay[2]!)).toEqual({ position: 3 });

    const sent = await chatResponseService.sendConfirmation('t', 'u1', 'live one');
    const [live] = await events.until((e) => e.event === 'chat-message');
    expect(live).toMatchObject({ id: '4', event: 'chat-message' });
    expect(eventData(live!)).toMatchObject({ id: sent.messageId, content: 'live one', type: 'CONFIRMATION', position: 4 });
  });

  it('without a cursor sends no history: ready carries the last position, then only new messages', async () => {
    await chatResponseService.sendInfo('t', 'u1', 'old 1');
    await chatResponseService.sendInfo('t', 'u1', 'old 2');
    const { events } = await track('u1', null);
    const first = await events.until((e) => e.event === 'ready');
    expect(first).toHaveLength(1);
    expect(eventData(first[0]!)).toEqual({ position: 2 });
    await chatResponseService.sendInfo('t', 'u1', 'new');
    const [live] = await events.until((e) => e.event === 'chat-message');
    expect(eventData(live!)).toMatchObject({ content: 'new', position: 3 });
  });

  it('treats a cursor past the end (another history) as the end, so new messages still arrive', async () => {
    await chatResponseService.sendInfo('t', 'u1', 'only');
    const { events } = await track('u1', 500);
    const [ready] = await events.until((e) => e.event === 'ready');
    expect(eventData(ready!)).toEqual({ position: 1 });
    await chatResponseService.sendInfo('t', 'u1', 'next');
    expect(positionsOf(await events.until((e) => e.event === 'chat-message'))).toEqual([2]);
  });

  it('never sends a message twice or skips one while sends race the replay', async () => {
    for (let i = 0; i < 30; i++) await chatResponseService.sendInfo('t', 'race', `before ${i}`);
    const sending = Promise.all(
      Array.from({ length: 5 }, async (_, s) => {
        for (let i = 0; i < 10; i++) await chatResponseService.sendInfo('t', 'race', `during ${s}.${i}`);
      }),
    );
    const streams = await Promise.all([0, 5, 17, 29, 30].map((since) => track('race', since)));
    await sending;
    for (const [index, since] of [0, 5, 17, 29, 30].entries()) {
      const received = positionsOf(await streams[index]!.events.until((e) => e.event === 'chat-message' && e.id === '80'));
      expect(received).toEqual(Array.from({ length: 80 - since }, (_, i) => since + i + 1));
    }
  });

  it("delivers a message committed after the replay's last read but announced before the stream went live", async () => {
    await chatResponseService.sendInfo('t', 'w', 'replayed');
    interleave('selectPageAfter', () => chatResponseService.sendInfo('t', 'w', 'in the window'));
    const { events } = await track('w', 0);
    const received = await events.until((e) => e.id === '2');
    expect(received.map((e) => `${e.event}:${e.id ?? ''}`)).toEqual(['chat-message:1', 'ready:', 'chat-message:2']);
  });

  it('delivers a message committed in the same window when the stream started without a cursor', async () => {
    await chatResponseService.sendInfo('t', 'w', 'history');
    interleave('selectLastPosition', () => chatResponseService.sendInfo('t', 'w', 'in the window'));
    const { events } = await track('w', null);
    const received = await events.until((e) => e.event === 'chat-message');
    expect(received.map((e) => `${e.event}:${e.id ?? ''}`)).toEqual(['ready:', 'chat-message:2']);
    expect(eventData(received[0]!)).toEqual({ position: 1 });
  });

  it('sends a read that happens during the replay after the replayed messages it refers to', async () => {
    const a = await chatResponseService.sendInfo('t', 'w', 'a');
    interleave('selectPageAfter', () => chatResponseService.markMessagesAsRead([a.messageId!], 'w'));
    const { events } = await track('w', 0);
    const received = await events.until((e) => e.event === 'read');
    expect(received.map((e) => e.event)).toEqual(['chat-message', 'ready', 'read']);
    expect(eventData(received[0]!)).toMatchObject({ id: a.messageId, read: false });
    expect(eventData(received[2]!)).toEqual({ ids: [a.messageId], positions: [1] });
  });

  it('never lets a read event overtake a live row that was loaded before the read committed', async () => {
    const { events } = await track('order', 0);
    await events.until((e) => e.event === 'ready');
    if (kind === 'postgres') await until(() => fanoutStatus().listener === 'listening', 'LISTEN');
    await until(() => fanoutStatus().loadsInFlight === 0, 'no load in flight');
    // The fan-out's load of the new message returns a row read just before the message is marked read.
    const original = chatMessageRepository.selectMessagesAfter;
    const spy = vi.spyOn(chatMessageRepository, 'selectMessagesAfter').mockImplementation(async (...args) => {
      const rows = await original(...args);
      spy.mockRestore();
      const heard = fanoutStatus().notifications;
      await chatResponseService.markMessagesAsRead([rows[0]!.id], 'order');
      if (kind === 'postgres') await until(() => fanoutStatus().notifications > heard, 'the read notification');
      return rows;
    });
    await chatResponseService.sendInfo('t', 'order', 'read at once');
    const received = await events.until((e) => e.event === 'read');
    expect(received.map((e) => e.event)).toEqual(['chat-message', 'read']);
    expect(eventData(received[0]!)).toMatchObject({ read: false, position: 1 });
  });

  it('sends a read event with ids and positions, and one with upTo for mark-all', async () => {
    const a = await chatResponseService.sendInfo('t', 'u1', 'a');
    await chatResponseService.sendInfo('t', 'u1', 'b');
    const { events } = await track('u1', 2);
    await events.until((e) => e.event === 'ready');
    await chatResponseService.markMessagesAsRead([a.messageId!], 'u1');
    const [read] = await events.until((e) => e.event === 'read');
    expect(read!.id).toBeUndefined();
    expect(eventData(read!)).toEqual({ ids: [a.messageId], positions: [1] });
    await chatResponseService.markAllAsRead('u1', 2);
    const [readAll] = await events.until((e) => e.event === 'read');
    expect(eventData(readAll!)).toEqual({ upTo: 2 });
  });

  it('sends a heartbeat comment every heartbeat interval', async () => {
    const { events } = await track('u1', null, { heartbeatMs: 100 });
    await events.waitForComment('hb');
  });

  it('refuses a stream over the per-user limit with rate_limited and Retry-After', async () => {
    const streams = await Promise.all(Array.from({ length: 3 }, () => track('limited', null, { max: 3 })));
    expect(hub.subscriberCount('limited')).toBe(3);
    const refused = await openStream('limited', null, { max: 3 }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'rate_limited', retryAfterSeconds: expect.any(Number) });
    expect(hub.subscriberCount('limited')).toBe(3);
    streams[0]!.abort.abort();
    expect(hub.subscriberCount('limited')).toBe(2);
    await track('limited', null, { max: 3 });
  });

  it('releases the subscription when the request is aborted and when the body is cancelled', async () => {
    const aborted = await openStream('teardown', null);
    const cancelled = await openStream('teardown', 0);
    expect(hub.subscriberCount('teardown')).toBe(2);
    await aborted.events.until((e) => e.event === 'ready');
    aborted.abort.abort();
    expect(hub.subscriberCount('teardown')).toBe(1);
    await aborted.events.waitForEnd();
    await cancelled.events.cancel();
    expect(hub.subscriberCount('teardown')).toBe(0);
    // A message for a user without subscribers is stored and costs no stream work.
    expect((await chatResponseService.sendInfo('t', 'teardown', 'nobody listening')).success).toBe(true);
  });

  it("releases the subscription when the route handler's request is aborted", async () => {
    process.env.NEXTAUTH_SECRET = SECRET;
    resetEnvCache();
    const token = await mintSessionToken('route_user', SECRET);
    const abort = new AbortController();
    const request = new NextRequest('http://127.0.0.1/api/chat-messages/stream?since=0', {
      headers: { cookie: `next-auth.session-token=${token}` },
      signal: abort.signal,
    });
    const response = await streamRoute(request, { params: Promise.resolve({}) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = new SseReader(response.body!);
    await events.until((e) => e.event === 'ready');
    expect(hub.subscriberCount('route_user')).toBe(1);
    abort.abort();
    await until(() => hub.subscriberCount('route_user') === 0, 'the route stream to unsubscribe');
  });

  it('loads once per user per notification, however many streams the user has', async () => {
    const streams = await Promise.all(Array.from({ length: 6 }, () => track('many', 0)));
    for (const s of streams) await s.events.until((e) => e.event === 'ready');
    if (kind === 'postgres') await until(() => fanoutStatus().listener === 'listening', 'LISTEN');
    await until(() => fanoutStatus().loadsInFlight === 0, 'no load in flight');
    const before = fanoutStatus().loadQueries;
    await chatResponseService.sendInfo('t', 'many', 'to all six');
    for (const s of streams) expect(positionsOf(await s.events.until((e) => e.event === 'chat-message'))).toEqual([1]);
    await until(() => fanoutStatus().loadsInFlight === 0, 'no load in flight');
    expect(fanoutStatus().loadQueries - before).toBe(1);
  });

  it.runIf(kind === 'postgres')('ignores malformed notifications on the channel and keeps delivering', async () => {
    const { events } = await track('stray', null);
    await events.until((e) => e.event === 'ready');
    await until(() => fanoutStatus().listener === 'listening', 'LISTEN');
    const heard = fanoutStatus().notifications;
    await database.db.execute(
      sql`SELECT pg_notify('chat_messages', 'not json'), pg_notify('chat_messages', '{"userId":"stray","position":"x"}')`,
    );
    await chatResponseService.sendInfo('t', 'stray', 'still delivered');
    expect(positionsOf(await events.until((e) => e.event === 'chat-message'))).toEqual([1]);
    expect(fanoutStatus().notifications).toBe(heard + 1);
  });

  it.runIf(kind === 'postgres')('re-syncs every stream from its cursor after the LISTEN connection drops', async () => {
    const { events } = await track('gap', 0);
    await events.until((e) => e.event === 'ready');
    await until(() => fanoutStatus().listener === 'listening', 'LISTEN');
    const before = fanoutStatus();
    // What a PostgreSQL restart does to the connection: the server ends it.
    await database.db.execute(
      sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'chat-fanout-listener' AND datname = current_database()`,
    );
    await until(() => fanoutStatus().listener !== 'listening', 'the listener to notice');
    // Sent while nobody listens: their notifications are lost, only the re-sync can deliver them.
    for (let i = 1; i <= 5; i++) await chatResponseService.sendInfo('t', 'gap', `during the gap ${i}`);
    expect(positionsOf(await events.until((e) => e.id === '5'))).toEqual([1, 2, 3, 4, 5]);
    const after = fanoutStatus();
    expect(after.connects).toBe(before.connects + 1);
    expect(after.resyncs).toBeGreaterThan(before.resyncs);
    await chatResponseService.sendInfo('t', 'gap', 'after the gap');
    expect(positionsOf(await events.until((e) => e.event === 'chat-message'))).toEqual([6]);
  });
  it('replays a 5 MB backlog to ten streams at once in order, holding at most a page and a buffer per stream', async () => {
    const BIG = 75;
    for (let i = 1; i <= BIG; i++) expect((await chatResponseService.sendInfo('t', 'big', bigContent(i), bigData(i))).success).toBe(true);
    resetChatStreamStats();
    const streams = await Promise.all(Array.from({ length: 10 }, () => track('big', 0)));
    // Nobody reads for a while: the streams must wait, not fill memory with the backlog.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const replays = await Promise.all(streams.map((s) => s.events.until((e) => e.event === 'ready', 60_000)));
    for (const events of replays) {
      const messages = events.filter((e) => e.event === 'chat-message').map((e) => eventData<{ position: number; content: string }>(e));
      expect(messages.map((m) => m.position)).toEqual(Array.from({ length: BIG }, (_, i) => i + 1));
      expect(messages.every((m) => m.content === bigContent(m.position))).toBe(true);
    }
    const stats = chatStreamStats();
    expect(stats.peakQueuedBytes).toBeGreaterThan(0);
    expect(stats.peakQueuedBytes).toBeLessThanOrEqual(MAX_QUEUED_BYTES);
    expect(stats.peakPageBytes).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    // Paged by size: a 5 MB backlog takes many pages, not one.
    expect(stats.replayPages).toBeGreaterThanOrEqual(10 * 20);
  });

  it('a live stream whose client does not read catches up from the database at its pace, missing and repeating nothing', async () => {
    const { events } = await track('behind', null);
    await events.until((e) => e.event === 'ready');
    if (kind === 'postgres') await until(() => fanoutStatus().listener === 'listening', 'LISTEN');
    resetChatStreamStats();
    // 3 MB of live messages while the client reads nothing.
    const BURST = 45;
    for (let i = 1; i <= BURST; i++) await chatResponseService.sendInfo('t', 'behind', bigContent(i), bigData(i));
    await until(() => fanoutStatus().loadsInFlight === 0, 'no load in flight');
    expect(hub.subscriberCount('behind')).toBe(1);
    const received = await events.until((e) => e.id === String(BURST), 60_000);
    expect(positionsOf(received)).toEqual(Array.from({ length: BURST }, (_, i) => i + 1));
    expect(chatStreamStats().peakQueuedBytes).toBeLessThanOrEqual(MAX_QUEUED_BYTES);
    // Live again afterwards.
    await chatResponseService.sendInfo('t', 'behind', 'after the burst');
    expect(positionsOf(await events.until((e) => e.event === 'chat-message'))).toEqual([BURST + 1]);
  });
});
