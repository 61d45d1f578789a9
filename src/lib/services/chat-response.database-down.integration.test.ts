import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unreachablePostgresUrl } from '@test/helpers/test-db';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { isDatabaseUnavailable, rootCauseMessage } from '@/lib/errors/app-error';
import * as chatResponseService from '@/lib/services/chat-response.service';

describe('chat-response.service with its database down', () => {
  beforeAll(async () => {
    const url = await unreachablePostgresUrl();
    setDatabase(await openDatabase({ databaseUrl: url, pgliteDir: 'unused' }));
  });
  afterAll(() => closeDatabase());

  it('sendChatMessage returns success:false with the cause instead of throwing', async () => {
    const result = await chatResponseService.sendConfirmation('task_1', 'user_1', 'Meeting scheduled!');
    expect(result).toEqual({
      success: false,
      databaseStored: false,
      pusherSent: false,
      error: expect.stringMatching(/^Failed to store chat message: .*ECONNREFUSED/),
    });
  });

  it('the read functions reject with the connection error for the route layer to map', async () => {
    const err = await chatResponseService.getUnreadMessages('user_1', 10).then(
      () => null,
      (e: unknown) => e,
    );
    expect(rootCauseMessage(err)).toMatch(/ECONNREFUSED/);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });
});
