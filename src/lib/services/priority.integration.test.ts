import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '@/lib/db/client';
import { toStreamItem, toTaskItem, toUnreadItem } from '@/lib/services/chat-message.views';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { DATABASE_KINDS, queryRows, useFreshDatabase } from '@test/helpers/test-db';

// Priority levels through the service on both databases: stored, defaulted, accepted in any case,
// refused when unknown (nothing stored), filtered by minPriority and counted per priority.
describe.each(DATABASE_KINDS)('message priority on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => teardown());
  beforeEach(async () => {
    await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors CASCADE`);
  });

  const send = (content: string, priority?: string) =>
    chatResponseService.sendChatMessage({ type: 'info', userId: 'u1', taskId: 't1', content, ...(priority ? { priority } : {}) });

  it('stores NORMAL when no priority is given, and the given one in any case, upper case', async () => {
    await send('plain');
    await send('low', 'low');
    await send('high', 'High');
    await send('urgent', 'URGENT');
    const { messages } = await chatResponseService.getTaskMessages('t1', 'u1');
    expect(messages.map((m) => [m.content, m.priority])).toEqual([
      ['plain', 'NORMAL'],
      ['low', 'LOW'],
      ['high', 'HIGH'],
      ['urgent', 'URGENT'],
    ]);
  });

  it('refuses an unknown priority naming the field, and stores nothing', async () => {
    const result = await send('bad', 'critical');
    expect(result).toMatchObject({ success: false, databaseStored: false });
    expect(result.error).toMatch(/priority: must be one of LOW, NORMAL, HIGH, URGENT/);
    const rows = await queryRows<{ n: number }>(database, sql`SELECT count(*)::int AS n FROM chat_messages`);
    expect(rows[0]!.n).toBe(0);
  });

  it('takes the priority as the helpers option', async () => {
    await chatResponseService.sendConfirmation('t1', 'u1', 'booked', {}, undefined, { priority: 'high' });
    await chatResponseService.sendError('t1', 'u1', 'failed', undefined, undefined, { priority: 'urgent' });
    const { messages } = await chatResponseService.getTaskMessages('t1', 'u1');
    expect(messages.map((m) => [m.type, m.priority])).toEqual([
      ['CONFIRMATION', 'HIGH'],
      ['ERROR', 'URGENT'],
    ]);
  });

  it('filters the unread list by minPriority (any case), with total counting only those, and refuses a bad one', async () => {
    await send('n1');
    await send('h1', 'high');
    await send('l1', 'low');
    await send('u1', 'urgent');
    await send('h2', 'high');
    const high = await chatResponseService.getUnreadMessages('u1', 10, { minPriority: 'hIgH' });
    expect(high.messages.map((m) => m.content)).toEqual(['h1', 'u1', 'h2']);
    expect(high.total).toBe(3);
    const urgentPage = await chatResponseService.getUnreadMessages('u1', 1, { minPriority: 'URGENT' });
    expect(urgentPage).toMatchObject({ total: 1, messages: [{ content: 'u1' }] });
    expect((await chatResponseService.getUnreadMessages('u1', 10)).total).toBe(5);
    await expect(chatResponseService.getUnreadMessages('u1', 10, { minPriority: 'top' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^minPriority: /),
    });
  });

  it('counts unread messages per priority, leaving read ones out', async () => {
    await send('n1');
    const high = await send('h1', 'high');
    await send('h2', 'high');
    await send('u1', 'urgent');
    await chatResponseService.markMessagesAsRead([high.messageId!], 'u1');
    expect(await chatResponseService.getUnreadCount('u1')).toEqual({ total: 3, byPriority: { LOW: 0, NORMAL: 1, HIGH: 1, URGENT: 1 } });
    expect(await chatResponseService.getUnreadCount('nobody')).toEqual({ total: 0, byPriority: { LOW: 0, NORMAL: 0, HIGH: 0, URGENT: 0 } });
  });

  it('returns the priority in every list item and stream shape', async () => {
    await send('h', 'high');
    const [row] = (await chatResponseService.getTaskMessages('t1', 'u1')).messages;
    expect(toUnreadItem(row!).priority).toBe('HIGH');
    expect(toTaskItem(row!).priority).toBe('HIGH');
    expect(toStreamItem(row!).priority).toBe('HIGH');
  });

  it('lists an unread item with the fields of GET /api/chat-messages only, in the order of the stream item', async () => {
    await send('h', 'high');
    const [row] = (await chatResponseService.getTaskMessages('t1', 'u1')).messages;
    expect(Object.keys(toUnreadItem(row!))).toEqual(['id', 'type', 'taskId', 'content', 'data', 'createdAt', 'attachments', 'priority']);
  });

  it('gives rows stored before the column existed NORMAL (the migration is additive)', async () => {
    // A row written the way the old insert did, naming no priority column.
    await database.db.execute(sql`INSERT INTO chat_user_cursors ("userId", "lastPosition") VALUES ('u1', 1)`);
    await database.db.execute(
      sql`INSERT INTO chat_messages (id, "userId", type, content, position) VALUES ('old1', 'u1', 'INFO', 'from before', 1)`,
    );
    const message = await chatResponseService.getMessageById({ id: 'old1', userId: 'u1' });
    expect(message?.priority).toBe('NORMAL');
  });
});
