import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Database } from '@/lib/db/client';
import { chatMessages } from '@/lib/db/schema';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';

// The per-user position is the cursor every real-time path relies on (SSE replay, Last-Event-ID,
// the fan-out's loads). These tests show it is a safe cursor under concurrency, and cover the
// service functions built on it.
describe.each(DATABASE_KINDS)('position cursor on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    // On PostgreSQL this is a pool of 10 connections, so the sends below really overlap.
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => teardown());
  beforeEach(async () => {
    await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors CASCADE`);
  });

  it('a reader polling "position > cursor" during 20 concurrent senders x 20 messages sees each message once, in order', async () => {
    const SENDERS = 20;
    const PER_SENDER = 20;
    const user = 'cursor_user';
    const seen: Array<{ id: string; position: number }> = [];
    let cursor = 0;
    let sendersDone = false;
    let polls = 0;

    const reader = (async () => {
      const deadline = Date.now() + 50_000;
      for (;;) {
        // Read the flag before querying: the loop ends only after a query that started once
        // every send had committed came back empty.
        const finished = sendersDone;
        const { messages, hasMore } = await chatResponseService.getMessagesAfter(user, cursor, 7);
        polls++;
        for (const m of messages) {
          expect(m.position).toBeGreaterThan(cursor);
          seen.push({ id: m.id, position: m.position });
          cursor = m.position;
        }
        if (finished && messages.length === 0 && !hasMore) return;
        if (Date.now() > deadline) throw new Error(`reader still running after its deadline; saw ${seen.length}`);
        // Yield so the senders get the connections most of the time, as a real poller would.
        if (messages.length === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    const results = await Promise.all(
      Array.from({ length: SENDERS }, async (_, s) => {
        const out = [];
        for (let i = 0; i < PER_SENDER; i++) {
          // Sender 0 repeats an idempotency key every other message: each repeat burns a position,
          // so positions have holes, which a cursor must tolerate.
          const idempotencyKey = s === 0 ? `k${Math.floor(i / 2)}` : undefined;
          out.push(await chatResponseService.sendChatMessage({ type: 'info', userId: user, content: `s${s} m${i}`, idempotencyKey }));
        }
        return out;
      }),
    );
    sendersDone = true;
    await reader;

    const stored = results.flat().filter((r) => !r.duplicate);
    expect(results.flat().every((r) => r.success)).toBe(true);
    expect(stored).toHaveLength(SENDERS * PER_SENDER - PER_SENDER / 2);
    expect(seen.map((s) => s.id).sort()).toEqual(stored.map((r) => r.messageId).sort());
    expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.position).toBeGreaterThan(seen[i - 1]!.position);
    // The reader ran alongside the senders rather than only after them.
    expect(polls).toBeGreaterThan(1);
  });

  describe('getMessagesAfter', () => {
    it("pages by position with hasMore, only the user's messages", async () => {
      for (let i = 1; i <= 5; i++) await chatResponseService.sendInfo('t', 'u1', `m${i}`);
      await chatResponseService.sendInfo('t', 'u2', 'other');
      const first = await chatResponseService.getMessagesAfter('u1', 0, 2);
      expect(first.messages.map((m) => [m.position, m.content])).toEqual([
        [1, 'm1'],
        [2, 'm2'],
      ]);
      expect(first.hasMore).toBe(true);
      const rest = await chatResponseService.getMessagesAfter('u1', 2, 10);
      expect(rest.messages.map((m) => m.content)).toEqual(['m3', 'm4', 'm5']);
      expect(rest.hasMore).toBe(false);
      expect(await chatResponseService.getMessagesAfter('u1', 5, 10)).toEqual({ messages: [], hasMore: false });
    });

    it.each([
      ['a negative position', -1, 10, /^afterPosition:/],
      ['a fractional position', 1.5, 10, /^afterPosition:/],
      ['limit 0', 0, 0, /^limit:/],
      ['limit 1001', 0, 1001, /^limit:/],
    ])('rejects %s with invalid_input', async (_name, after, limit, message) => {
      await expect(chatResponseService.getMessagesAfter('u1', after, limit)).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(message),
      });
    });
  });

  it('getLastPosition is the highest stored position, 0 without messages', async () => {
    expect(await chatResponseService.getLastPosition('u1')).toEqual({ position: 0 });
    await chatResponseService.sendInfo('t', 'u1', 'a');
    await chatResponseService.sendInfo('t', 'u1', 'b');
    expect(await chatResponseService.getLastPosition('u1')).toEqual({ position: 2 });
  });

  it("getMessageById returns the caller's message and null for another user's or an unknown id", async () => {
    const sent = await chatResponseService.sendInfo('t', 'u1', 'hello');
    expect(await chatResponseService.getMessageById({ id: sent.messageId!, userId: 'u1' })).toMatchObject({
      id: sent.messageId,
      content: 'hello',
      position: 1,
    });
    expect(await chatResponseService.getMessageById({ id: sent.messageId!, userId: 'u2' })).toBeNull();
    expect(await chatResponseService.getMessageById({ id: 'nope', userId: 'u1' })).toBeNull();
  });

  describe('markAllAsRead', () => {
    it("marks only the user's unread messages at or before upTo and reports them in position order", async () => {
      for (let i = 1; i <= 4; i++) await chatResponseService.sendInfo('t', 'u1', `m${i}`);
      await chatResponseService.sendInfo('t', 'u2', 'other');
      const rows = await chatResponseService.getMessagesAfter('u1', 0, 10);
      await chatResponseService.markMessagesAsRead([rows.messages[0]!.id], 'u1');

      const result = await chatResponseService.markAllAsRead('u1', 3);
      expect(result).toEqual({ count: 2, ids: [rows.messages[1]!.id, rows.messages[2]!.id], positions: [2, 3] });
      const after = await database.db.select().from(chatMessages);
      const readByContent = Object.fromEntries(after.map((r) => [r.content, r.read]));
      expect(readByContent).toEqual({ m1: true, m2: true, m3: true, m4: false, other: false });
      expect(await chatResponseService.markAllAsRead('u1', 3)).toEqual({ count: 0, ids: [], positions: [] });
    });

    it('leaves a message that commits while it runs unread when its position is past upTo', async () => {
      await chatResponseService.sendInfo('t', 'u1', 'seen');
      const { position: upTo } = await chatResponseService.getLastPosition('u1');
      const [marked, late] = await Promise.all([
        chatResponseService.markAllAsRead('u1', upTo),
        chatResponseService.sendInfo('t', 'u1', 'arrives during the request'),
      ]);
      expect(marked.count).toBe(1);
      expect(late.position).toBeGreaterThan(upTo);
      expect(await chatResponseService.getUnreadCount('u1')).toEqual({ total: 1, byPriority: { LOW: 0, NORMAL: 1, HIGH: 0, URGENT: 0 } });
    });

    it.each([-1, 2.5, Number.NaN])('rejects upTo %s with invalid_input', async (upTo) => {
      await expect(chatResponseService.markAllAsRead('u1', upTo)).rejects.toMatchObject({ code: 'invalid_input' });
    });
  });

  it('markMessagesAsReadWithChanges reports exactly the messages it changed; markMessagesAsRead keeps { count }', async () => {
    const a = await chatResponseService.sendInfo('t', 'u1', 'a');
    const b = await chatResponseService.sendInfo('t', 'u1', 'b');
    const theirs = await chatResponseService.sendInfo('t', 'u2', 'c');
    expect(await chatResponseService.markMessagesAsRead([a.messageId!], 'u1')).toEqual({ count: 1 });
    const result = await chatResponseService.markMessagesAsReadWithChanges([b.messageId!, a.messageId!, theirs.messageId!], 'u1');
    expect(result).toEqual({ count: 1, ids: [b.messageId], positions: [2] });
  });
});
