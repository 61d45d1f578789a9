import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';

// The embedded database over HTTP: users and messages are made with the CLIs while no server
// holds the PGlite directory, then the app serves them.
describe('the app on embedded PGlite over HTTP', () => {
  let app: AppServer;
  let userId: string;
  let messageId: string;

  beforeAll(async () => {
    app = await startApp({
      kind: 'pglite',
      beforeStart: async (env) => {
        const user = await runCli(env, 'user-create.ts', ['--email', 'Ana@Example.com', '--password', 'correct horse']);
        expect(user.code).toBe(0);
        userId = user.output.id as string;
        const sent = await runCli(env, 'chat-send.ts', [
          '--user',
          userId,
          '--type',
          'confirmation',
          '--content',
          'Meeting scheduled',
          '--task',
          'task_1',
        ]);
        expect(sent.output).toMatchObject({ success: true, databaseStored: true });
        messageId = sent.output.messageId as string;
      },
    });
  });
  afterAll(async () => app?.dispose());

  it('signs in with the lower-cased email and reads, marks and counts the stored message', async () => {
    const browser = new Browser(app.baseUrl);
    expect(await browser.signIn('ana@example.com', 'correct horse')).toBe(true);
    const list = await browser.json('/api/chat-messages');
    expect(list).toMatchObject({
      status: 200,
      body: { total: 1, hasMore: false, messages: [{ id: messageId, type: 'CONFIRMATION', taskId: 'task_1' }] },
    });
    const marked = await browser.json('/api/chat-messages/mark-read', { json: { messageIds: [messageId] } });
    expect(marked).toMatchObject({ status: 200, body: { success: true, markedCount: 1 } });
    expect((await browser.json('/api/chat-messages/unread-count')).body).toEqual({
      total: 0,
      byPriority: { LOW: 0, NORMAL: 0, HIGH: 0, URGENT: 0 },
    });
  });

  it('refuses the CLI while the server holds the embedded database', async () => {
    const sent = await runCli(app.env, 'chat-send.ts', ['--user', userId, '--type', 'info', '--content', 'x']);
    expect(sent.code).toBe(1);
    expect(sent.output.error).toMatch(/in use by another process .*set DATABASE_URL/);
  });
});
