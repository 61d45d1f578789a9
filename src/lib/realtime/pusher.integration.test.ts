import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import { chatMessages } from '@/lib/db/schema';
import { resetPusher } from '@/lib/realtime/pusher';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { startFakePusher } from '../../../test/helpers/fake-pusher';
import { useFreshDatabase } from '../../../test/helpers/test-db';

const APP_ID = '4242';
const KEY = 'test-key';
const SECRET = 'test-secret';
const TIMEOUT_MS = 400;

describe('Pusher transport against a Pusher-protocol server on loopback', () => {
  let pusher: Awaited<ReturnType<typeof startFakePusher>>;
  let database: Database;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    pusher = await startFakePusher(APP_ID, KEY, SECRET);
    Object.assign(process.env, {
      PUSHER_APP_ID: APP_ID,
      PUSHER_KEY: KEY,
      PUSHER_SECRET: SECRET,
      PUSHER_CLUSTER: 'mt1',
      PUSHER_HOST: '127.0.0.1',
      PUSHER_PORT: String(pusher.port),
      PUSHER_USE_TLS: 'false',
      PUSHER_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    resetEnvCache();
    resetPusher();
    ({ database, teardown } = await useFreshDatabase('pglite'));
  });
  afterAll(async () => {
    await teardown();
    await pusher.close();
  });
  beforeEach(async () => {
    pusher.setMode('ok');
    pusher.requests.length = 0;
    await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors`);
  });

  it('triggers chat-message on private-user-{userId} with the message, signed with the app secret', async () => {
    const result = await chatResponseService.sendConfirmation('task_1', 'user_9', 'Meeting scheduled!', { eventId: 'e1' });
    expect(result).toMatchObject({ success: true, pusherSent: true, databaseStored: true });
    expect(pusher.requests).toHaveLength(1);
    const [request] = pusher.requests;
    expect(request!.path).toBe(`/apps/${APP_ID}/events`);
    expect(request!.signatureValid).toBe(true);
    expect(request!.body.name).toBe('chat-message');
    expect(request!.body.channels).toEqual(['private-user-user_9']);
    const [row] = await database.db.select().from(chatMessages);
    expect(JSON.parse(request!.body.data)).toEqual({
      id: result.messageId,
      type: 'CONFIRMATION',
      taskId: 'task_1',
      content: 'Meeting scheduled!',
      data: { eventId: 'e1' },
      createdAt: row!.createdAt.toISOString(),
      position: 1,
    });
  });

  it('sends a thin event when the full message is over 10 KB', async () => {
    const result = await chatResponseService.sendInfo('task_1', 'user_9', 'x'.repeat(9_000), { blob: 'y'.repeat(3_000) });
    expect(result.pusherSent).toBe(true);
    const data = JSON.parse(pusher.requests[0]!.body.data) as Record<string, unknown>;
    expect(data).toEqual({
      id: result.messageId,
      type: 'INFO',
      taskId: 'task_1',
      createdAt: expect.any(String),
      position: 1,
      truncated: true,
    });
  });

  it('keeps the message and reports pusherSent:false when Pusher answers 500', async () => {
    pusher.setMode('fail');
    const result = await chatResponseService.sendInfo('task_1', 'user_9', 'still stored');
    expect(result).toMatchObject({ success: true, databaseStored: true, pusherSent: false });
    expect(pusher.requests).toHaveLength(1);
    expect(await database.db.select().from(chatMessages)).toHaveLength(1);
  });

  it('gives up on a Pusher that never answers, keeping the message stored', async () => {
    pusher.setMode('hang');
    const result = await chatResponseService.sendInfo('task_1', 'user_9', 'stored despite a hung Pusher');
    expect(result).toMatchObject({ success: true, databaseStored: true, pusherSent: false });
    expect(pusher.requests).toHaveLength(1);
    expect(await database.db.select().from(chatMessages)).toHaveLength(1);
  });

  it('publishes nothing for a repeated idempotency key', async () => {
    await chatResponseService.sendChatMessage({ type: 'info', userId: 'u', content: 'once', idempotencyKey: 'k1' });
    const again = await chatResponseService.sendChatMessage({ type: 'info', userId: 'u', content: 'once', idempotencyKey: 'k1' });
    expect(again).toMatchObject({ duplicate: true, pusherSent: false });
    expect(pusher.requests).toHaveLength(1);
  });
});
