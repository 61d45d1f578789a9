import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as taskService from '@/lib/services/scheduling-task.service';
import * as userService from '@/lib/services/user.service';
import { DATABASE_KINDS, queryRows, useFreshDatabase } from '@test/helpers/test-db';

// The services CLIs and workers call directly refuse text PostgreSQL cannot store, naming the
// field, before the database sees it (over HTTP, withRoute refuses it first: test/http/hostile-input).
describe.each(DATABASE_KINDS)('service entry points refuse NUL and unpaired surrogates on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  const counts = async () =>
    queryRows(
      database,
      sql`SELECT (SELECT count(*) FROM chat_messages)::int AS messages, (SELECT count(*) FROM users)::int AS users,
                 (SELECT count(*) FROM scheduling_agent_tasks)::int AS tasks`,
    );

  beforeAll(async () => {
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => teardown());

  const message = { type: 'info', taskId: 'task_1', userId: 'user_1', content: 'hello', data: { a: 1 } };

  it.each([
    ['content', { ...message, content: 'hel\u0000lo' }, /content: must not contain NUL/],
    ['content', { ...message, content: 'hel\uD800lo' }, /content: must not contain unpaired UTF-16 surrogates/],
    ['taskId', { ...message, taskId: '\u0000' }, /taskId: must not contain NUL/],
    ['userId', { ...message, userId: 'u\uDC00' }, /userId: must not contain unpaired/],
    ['a data value', { ...message, data: { nested: ['ok', 'x\u0000'] } }, /data\.nested\.1: must not contain NUL/],
    ['a data key', { ...message, data: { nested: { 'k\u0000': 1 } } }, /data\.nested: a key must not contain NUL/],
    ['idempotencyKey', { ...message, idempotencyKey: 'k\uD800' }, /idempotencyKey: must not contain unpaired/],
  ])('sendChatMessage names %s and stores nothing', async (_field, input, error) => {
    const before = await counts();
    const result = await chatResponseService.sendChatMessage(input);
    expect(result).toMatchObject({ success: false, databaseStored: false, error: expect.stringMatching(error) });
    expect(await counts()).toEqual(before);
  });

  it('sendChatMessage names orgId', async () => {
    const result = await chatResponseService.sendChatMessage(message, 'org\u0000');
    expect(result).toMatchObject({ success: false, error: expect.stringMatching(/orgId: must not contain NUL/) });
  });

  it.each([
    ['request', { request: 'lunch\u0000 tomorrow' }, /request: must not contain NUL/],
    ['request', { request: 'lunch \uD800 tomorrow' }, /request: must not contain unpaired/],
    ['taskId', { request: 'yes', taskId: '\u0000' }, /taskId: must not contain NUL/],
    ['timezone', { request: 'yes', timezone: 'UTC\u0000' }, /timezone: must not contain NUL/],
  ])('submitRequest names %s and stores nothing', async (_field, input, error) => {
    const before = await counts();
    await expect(taskService.submitRequest('user_1', input)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(error),
    });
    expect(await counts()).toEqual(before);
  });

  it('submitRequest names userId', async () => {
    await expect(taskService.submitRequest('u\u0000', { request: 'lunch' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/userId: must not contain NUL/),
    });
  });

  it.each([
    ['name', { email: 'a@example.com', password: 'long enough pw', name: 'Bob\u0000' }, /name: must not contain NUL/],
    ['email', { email: 'a\u0000@example.com', password: 'long enough pw' }, /email: must not contain NUL/],
    ['password', { email: 'a@example.com', password: 'long enough pw\u0000' }, /password: must not contain NUL/],
    ['password', { email: 'a@example.com', password: 'long enough pw\uDC00' }, /password: must not contain unpaired/],
  ])('createUser names %s and stores nothing', async (_field, input, error) => {
    const before = await counts();
    await expect(userService.createUser(input)).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(error) });
    expect(await counts()).toEqual(before);
  });

  it('verifyCredentials never matches a password with a NUL appended (scrypt would: HMAC pads keys)', async () => {
    await userService.createUser({ email: 'nul@example.com', password: 'long enough pw' });
    expect(await userService.verifyCredentials({ email: 'nul@example.com', password: 'long enough pw' })).toMatchObject({
      email: 'nul@example.com',
    });
    expect(await userService.verifyCredentials({ email: 'nul@example.com', password: 'long enough pw\u0000' })).toBeNull();
    expect(await userService.verifyCredentials({ email: 'nul\u0000@example.com', password: 'long enough pw' })).toBeNull();
  });

  it('reading services refuse such ids as invalid input, not as a database failure', async () => {
    await expect(chatResponseService.getTaskMessages('t\u0000', 'user_1')).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(chatResponseService.markMessagesAsRead(['\uD800'], 'user_1')).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
