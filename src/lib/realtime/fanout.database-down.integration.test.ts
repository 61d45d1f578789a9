import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unreachablePostgresUrl } from '@test/helpers/test-db';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { announceMessage, announceRead } from '@/lib/realtime/fanout';
import { publishChatMessage } from '@/lib/realtime/publish';

// The message is already committed when the publish step runs; a NOTIFY that cannot reach
// PostgreSQL must be logged and swallowed, never turned into a failed send.
describe('fan-out announcements with PostgreSQL unreachable', () => {
  beforeAll(async () => {
    const url = await unreachablePostgresUrl();
    setDatabase(await openDatabase({ databaseUrl: url, pgliteDir: 'unused' }));
  });
  afterAll(() => closeDatabase());

  it('announceMessage and announceRead resolve instead of throwing', async () => {
    await expect(announceMessage('u1', 1)).resolves.toBeUndefined();
    await expect(announceRead('u1', { upTo: 3 })).resolves.toBeUndefined();
    await expect(announceRead('u1', { ids: ['a'], positions: [1] })).resolves.toBeUndefined();
  });

  it('publishChatMessage still answers (pusherSent false without Pusher)', async () => {
    const row = {
      id: 'm1',
      userId: 'u1',
      orgId: null,
      taskId: null,
      type: 'INFO' as const,
      content: 'x',
      data: null,
      read: false,
      createdAt: new Date(),
      readAt: null,
      idempotencyKey: null,
      position: 1,
      attachments: [],
      priority: 'NORMAL' as const,
    };
    await expect(publishChatMessage(row)).resolves.toEqual({ pusherSent: false });
  });
});
