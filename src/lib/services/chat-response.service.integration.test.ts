// Over 300 lines: the guide's API, case by case, on both databases with one set of fixtures.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { chatMessages } from '@/lib/db/schema';
import type { Database } from '@/lib/db/client';
import { AppError } from '@/lib/errors/app-error';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';

describe.each(DATABASE_KINDS)('chat-response.service on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => teardown());
  beforeEach(async () => {
    await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors CASCADE`);
  });

  const countRows = async () => (await database.db.select().from(chatMessages)).length;

  function message(overrides: Partial<chatResponseService.SendChatMessageInput> = {}) {
    return {
      type: 'confirmation',
      taskId: 'task_123',
      userId: 'user_456',
      content: 'Your meeting has been scheduled successfully.',
      data: { eventId: 'event_789' },
      timestamp: new Date().toISOString(),
      ...overrides,
    };
  }

  describe('sendChatMessage', () => {
    it('stores a lower-case typed message upper case and answers in the guide shape', async () => {
      const result = await chatResponseService.sendChatMessage(message(), 'org_abc');
      expect(result).toEqual({
        success: true,
        pusherSent: false,
        databaseStored: true,
        messageId: expect.any(String),
        position: 1,
      });
      const [row] = await database.db.select().from(chatMessages);
      expect(row).toMatchObject({
        id: result.messageId,
        userId: 'user_456',
        orgId: 'org_abc',
        taskId: 'task_123',
        type: 'CONFIRMATION',
        content: 'Your meeting has been scheduled successfully.',
        data: { eventId: 'event_789' },
        read: false,
        readAt: null,
        position: 1,
      });
      expect(row!.createdAt).toBeInstanceOf(Date);
    });

    it('gives unguessable ids: 24+ lowercase alphanumerics, never sequential', async () => {
      const a = await chatResponseService.sendChatMessage(message());
      const b = await chatResponseService.sendChatMessage(message());
      expect(a.messageId).toMatch(/^[a-z0-9]{24,}$/);
      expect(b.messageId).toMatch(/^[a-z0-9]{24,}$/);
      expect(a.messageId).not.toEqual(b.messageId);
    });

    it('accepts every one of the six types in lower and upper case', async () => {
      const types = ['scheduling_update', 'confirmation', 'clarification', 'cancellation', 'error', 'info'];
      for (const type of types) {
        expect((await chatResponseService.sendChatMessage(message({ type }))).success).toBe(true);
        expect((await chatResponseService.sendChatMessage(message({ type: type.toUpperCase() }))).success).toBe(true);
      }
      const rows = await database.db.select({ type: chatMessages.type }).from(chatMessages);
      expect(rows.map((r) => r.type).sort()).toEqual(types.flatMap((t) => [t.toUpperCase(), t.toUpperCase()]).sort());
    });

    it('stores a message without taskId or data', async () => {
      const result = await chatResponseService.sendChatMessage({ type: 'info', userId: 'u', content: 'hello' });
      expect(result.success).toBe(true);
      const [row] = await database.db.select().from(chatMessages);
      expect(row).toMatchObject({ taskId: null, data: null, orgId: null });
    });

    it('gives each user positions 1, 2, 3... independently of other users', async () => {
      const positions: Array<number | undefined> = [];
      for (const userId of ['a', 'b', 'a', 'a', 'b']) {
        positions.push((await chatResponseService.sendChatMessage(message({ userId }))).position);
      }
      expect(positions).toEqual([1, 1, 2, 3, 2]);
    });

    it('gives 25 concurrent sends to one user 25 distinct positions', async () => {
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => chatResponseService.sendChatMessage(message({ content: `m${i}` }))),
      );
      expect(results.every((r) => r.success)).toBe(true);
      expect(new Set(results.map((r) => r.position)).size).toBe(25);
      expect(Math.max(...results.map((r) => r.position ?? 0))).toBe(25);
    });

    it('stores a repeated idempotencyKey once and answers the first id with duplicate: true', async () => {
      const first = await chatResponseService.sendChatMessage(message({ idempotencyKey: 'task_123:done' }));
      const again = await chatResponseService.sendChatMessage(message({ idempotencyKey: 'task_123:done', content: 'changed' }));
      expect(again).toEqual({
        success: true,
        databaseStored: true,
        pusherSent: false,
        messageId: first.messageId,
        position: first.position,
        duplicate: true,
      });
      expect(await countRows()).toBe(1);
      const [row] = await database.db.select().from(chatMessages);
      expect(row!.content).toBe('Your meeting has been scheduled successfully.');
    });

    it('treats concurrent sends with one idempotencyKey as one message', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => chatResponseService.sendChatMessage(message({ idempotencyKey: 'same' }))),
      );
      expect(results.every((r) => r.success)).toBe(true);
      expect(new Set(results.map((r) => r.messageId)).size).toBe(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(await countRows()).toBe(1);
    });

    it('scopes idempotency keys per user', async () => {
      await chatResponseService.sendChatMessage(message({ userId: 'a', idempotencyKey: 'k' }));
      const other = await chatResponseService.sendChatMessage(message({ userId: 'b', idempotencyKey: 'k' }));
      expect(other.duplicate).toBeUndefined();
      expect(await countRows()).toBe(2);
    });

    const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
      ['an unknown type', { type: 'shout' }, /type: must be one of/],
      ['a missing type', { type: undefined }, /type:/],
      ['a numeric type', { type: 7 }, /type:/],
      ['a missing userId', { userId: undefined }, /userId: is required/],
      ['an empty userId', { userId: '' }, /userId: must not be empty/],
      ['a blank userId', { userId: '   ' }, /userId: must not be empty/],
      ['a 192-char userId', { userId: 'u'.repeat(192) }, /userId: must be at most 191/],
      ['a missing content', { content: undefined }, /content: is required/],
      ['an empty content', { content: '' }, /content: must not be empty/],
      ['a whitespace content', { content: ' \n\t ' }, /content: must not be empty/],
      ['a 10,001-char content', { content: 'x'.repeat(10_001) }, /content: must be at most 10000/],
      ['an array as data', { data: [1, 2] }, /data: must be a JSON object/],
      ['a string as data', { data: 'x' }, /data: must be a JSON object/],
      ['data over 64 KiB', { data: { blob: 'x'.repeat(65_536) } }, /data: must be at most 65536 bytes/],
      ['data with a BigInt', { data: { n: BigInt(1) } }, /data: must be serializable/],
      ['a Date as data', { data: new Date('2030-01-01T00:00:00Z') }, /data: must be a plain JSON object/],
      ['an object with toJSON as data', { data: { toJSON: () => ({ a: 1 }) } }, /data: must be a plain JSON object/],
      [
        'a class instance as data',
        {
          data: new (class Point {
            x = 1;
          })(),
        },
        /data: must be a plain JSON object/,
      ],
      ['a Map as data', { data: new Map([['a', 1]]) }, /data: must be a plain JSON object/],
      ['a Date inside data', { data: { when: new Date() } }, /data: must be plain JSON \(at when: /],
      ['NaN inside data', { data: { n: Number.NaN } }, /data: must be plain JSON \(at n: /],
      ['undefined in an array inside data', { data: { list: [1, undefined] } }, /data: must be plain JSON \(at list\.1: /],
      ['a function inside data', { data: { f: () => 1 } }, /data: must be plain JSON \(at f: /],
      ['a NUL character inside data', { data: { s: 'a\u0000b' } }, /data\.s: must not contain NUL/],
      ['a lone surrogate in a key of data', { data: { ['k\ud800']: 1 } }, /data: a key must not contain unpaired UTF-16 surrogates/],
      ['a 192-char taskId', { taskId: 't'.repeat(192) }, /taskId: must be at most 191/],
      ['an empty taskId', { taskId: '' }, /taskId: must not be empty/],
      ['a non-ISO timestamp', { timestamp: 'yesterday' }, /timestamp: must be an ISO-8601/],
      ['a 192-char idempotencyKey', { idempotencyKey: 'k'.repeat(192) }, /idempotencyKey: must be at most 191/],
    ];
    it.each(invalid)('rejects %s naming the field and stores nothing', async (_name, overrides, error) => {
      const result = await chatResponseService.sendChatMessage(message(overrides as Partial<chatResponseService.SendChatMessageInput>));
      expect(result).toEqual({ success: false, databaseStored: false, pusherSent: false, error: expect.stringMatching(error) });
      expect(await countRows()).toBe(0);
    });

    it('rejects a cyclic data object without throwing', async () => {
      const data: Record<string, unknown> = {};
      data.self = data;
      const result = await chatResponseService.sendChatMessage(message({ data }));
      expect(result.error).toMatch(/data: must be serializable/);
      expect(await countRows()).toBe(0);
    });

    it('stores data as the plain object it was given, leaving out undefined properties as JSON does', async () => {
      const data = { a: 1, nested: { list: [true, null, 'x', 2.5] }, skipped: undefined };
      const result = await chatResponseService.sendChatMessage(message({ data }));
      expect(result.success).toBe(true);
      const [row] = await database.db.select().from(chatMessages);
      expect(row!.data).toEqual({ a: 1, nested: { list: [true, null, 'x', 2.5] } });
    });

    it('accepts data with a null prototype', async () => {
      const data = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
      expect((await chatResponseService.sendChatMessage(message({ data }))).success).toBe(true);
    });

    it('rejects a 192-char orgId naming orgId', async () => {
      const result = await chatResponseService.sendChatMessage(message(), 'o'.repeat(192));
      expect(result).toMatchObject({ success: false, error: expect.stringMatching(/orgId:/) });
      expect(await countRows()).toBe(0);
    });

    it('accepts data of exactly 64 KiB and content of exactly 10,000 chars', async () => {
      const blob = 'x'.repeat(65_536 - JSON.stringify({ blob: '' }).length);
      const result = await chatResponseService.sendChatMessage(message({ data: { blob }, content: 'y'.repeat(10_000) }));
      expect(result.success).toBe(true);
    });

    it('returns success:false for input that is not an object at all', async () => {
      const result = await chatResponseService.sendChatMessage(null as unknown as chatResponseService.SendChatMessageInput);
      expect(result).toMatchObject({ success: false, databaseStored: false, pusherSent: false });
    });
  });

  describe('helpers', () => {
    const helpers = [
      ['sendSchedulingUpdate', 'SCHEDULING_UPDATE'],
      ['sendConfirmation', 'CONFIRMATION'],
      ['sendClarification', 'CLARIFICATION'],
      ['sendCancellation', 'CANCELLATION'],
      ['sendError', 'ERROR'],
      ['sendInfo', 'INFO'],
    ] as const;
    it.each(helpers)('%s(taskId, userId, content, data, orgId) stores a %s message', async (helper, type) => {
      const result = await chatResponseService[helper]('task_1', 'user_1', `${type} text`, { k: 1 }, 'org_1');
      expect(result.success).toBe(true);
      const [row] = await database.db.select().from(chatMessages);
      expect(row).toMatchObject({ taskId: 'task_1', userId: 'user_1', type, content: `${type} text`, data: { k: 1 }, orgId: 'org_1' });
    });
  });

  describe('getUnreadMessages', () => {
    it('returns unread messages oldest first, at most limit, with the total unread', async () => {
      for (let i = 0; i < 5; i++) await chatResponseService.sendInfo('t', 'u1', `m${i}`);
      await chatResponseService.sendInfo('t', 'u2', 'other user');
      const { messages, total } = await chatResponseService.getUnreadMessages('u1', 3);
      expect(messages.map((m) => m.content)).toEqual(['m0', 'm1', 'm2']);
      expect(total).toBe(5);
    });

    it("breaks createdAt ties by send order (position), in the unread list and a task's history", async () => {
      for (let i = 0; i < 6; i++) await chatResponseService.sendInfo('t', 'u1', `m${i}`);
      // Sends within one millisecond share createdAt; random ids must not shuffle them.
      await database.db.execute(sql`UPDATE chat_messages SET "createdAt" = '2026-01-01T00:00:00Z'`);
      const sendOrder = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];
      expect((await chatResponseService.getUnreadMessages('u1', 100)).messages.map((m) => m.content)).toEqual(sendOrder);
      expect((await chatResponseService.getTaskMessages('t', 'u1')).messages.map((m) => m.content)).toEqual(sendOrder);
    });

    it('leaves out read messages and counts only unread ones', async () => {
      const a = await chatResponseService.sendInfo('t', 'u1', 'a');
      await chatResponseService.sendInfo('t', 'u1', 'b');
      await chatResponseService.markMessagesAsRead([a.messageId!], 'u1');
      const { messages, total } = await chatResponseService.getUnreadMessages('u1', 50);
      expect(messages.map((m) => m.content)).toEqual(['b']);
      expect(total).toBe(1);
      expect(await chatResponseService.getUnreadCount('u1')).toEqual({ total: 1, byPriority: { LOW: 0, NORMAL: 1, HIGH: 0, URGENT: 0 } });
    });

    it.each([0, 101, 1.5, Number.NaN])('rejects limit %s with invalid_input', async (limit) => {
      await expect(chatResponseService.getUnreadMessages('u1', limit)).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(/^limit:/),
      });
    });

    it('returns nothing for a user with no messages', async () => {
      expect(await chatResponseService.getUnreadMessages('nobody', 50)).toEqual({ messages: [], total: 0 });
    });
  });

  describe('markMessagesAsRead', () => {
    it("marks only the caller's unread messages, counts them and sets readAt", async () => {
      const mine = await chatResponseService.sendInfo('t', 'u1', 'mine');
      const mine2 = await chatResponseService.sendInfo('t', 'u1', 'mine2');
      const theirs = await chatResponseService.sendInfo('t', 'u2', 'theirs');
      const before = Date.now();
      const first = await chatResponseService.markMessagesAsRead([mine.messageId!, theirs.messageId!, 'nope'], 'u1');
      expect(first).toEqual({ count: 1 });
      const again = await chatResponseService.markMessagesAsRead([mine.messageId!, mine2.messageId!], 'u1');
      expect(again).toEqual({ count: 1 });

      const rows = await database.db.select().from(chatMessages);
      const byContent = Object.fromEntries(rows.map((r) => [r.content, r]));
      expect(byContent.mine).toMatchObject({ read: true });
      expect(byContent.mine!.readAt!.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(byContent.mine2).toMatchObject({ read: true });
      expect(byContent.theirs).toMatchObject({ read: false, readAt: null });
    });

    it('counts a repeated id once', async () => {
      const m = await chatResponseService.sendInfo('t', 'u1', 'x');
      expect(await chatResponseService.markMessagesAsRead([m.messageId!, m.messageId!], 'u1')).toEqual({ count: 1 });
    });

    it('returns count 0 for an empty list and rejects 101 ids', async () => {
      expect(await chatResponseService.markMessagesAsRead([], 'u1')).toEqual({ count: 0 });
      await expect(
        chatResponseService.markMessagesAsRead(
          Array.from({ length: 101 }, (_, i) => `id${i}`),
          'u1',
        ),
      ).rejects.toBeInstanceOf(AppError);
    });
  });

  describe('getTaskMessages', () => {
    it("returns the user's messages of the task oldest first, read or not, and never another user's", async () => {
      const first = await chatResponseService.sendSchedulingUpdate('task_1', 'u1', 'Processing your request...');
      await chatResponseService.sendConfirmation('task_1', 'u1', 'Meeting scheduled!');
      await chatResponseService.sendInfo('task_2', 'u1', 'other task');
      await chatResponseService.sendInfo('task_1', 'u2', 'other user, same task id');
      await chatResponseService.markMessagesAsRead([first.messageId!], 'u1');

      const { messages } = await chatResponseService.getTaskMessages('task_1', 'u1');
      expect(messages.map((m) => [m.type, m.content, m.read])).toEqual([
        ['SCHEDULING_UPDATE', 'Processing your request...', true],
        ['CONFIRMATION', 'Meeting scheduled!', false],
      ]);
      expect((await chatResponseService.getTaskMessages('task_1', 'u3')).messages).toEqual([]);
    });
  });
});
