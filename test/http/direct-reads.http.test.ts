import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { freePort, runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { waitFor } from '@test/helpers/wait';

// The reads a polling tab makes (GET /api/chat-messages, /history, /unread-count) are served by
// the app's Node entry before Next.js (src/server/direct-routes.ts), with the route files'
// handlers. Every answer is compared with Next.js's own server (`next start`) of the same build on
// the same database, where those handlers run in Next's route pipeline.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const PASSWORD = 'a long enough password';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What the two servers must agree on (the security headers are the entry's own: checked apart). */
const COMPARED_HEADERS = ['content-type', 'cache-control', 'retry-after'];
const SECURITY_HEADERS = ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy'];

/** `next start` of the default build, on loopback, with the app's environment. */
async function startNextItself(env: NodeJS.ProcessEnv): Promise<{ baseUrl: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'],
    { env: { ...env, PORT: String(port) }, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`);
      return fetch(`${baseUrl}/api/auth/csrf`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      );
    },
    'next start to listen',
    60_000,
  );
  return {
    baseUrl,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe.skipIf(!hasPostgres)('the polling reads, served before Next.js (PostgreSQL)', () => {
  let app: AppServer;
  let nextItself: Awaited<ReturnType<typeof startNextItself>>;
  let signedIn: Browser;
  let userId: string;

  beforeAll(async () => {
    app = await startApp({ kind: 'postgres' });
    setDatabase(await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' }));
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'reader@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(0);
    userId = created.output.id as string;
    signedIn = new Browser(app.baseUrl);
    expect(await signedIn.signIn('reader@example.com', PASSWORD)).toBe(true);
    nextItself = await startNextItself(app.env);
    for (const [i, type] of (['SCHEDULING_UPDATE', 'CONFIRMATION', 'ERROR'] as const).entries()) {
      await chatResponseService.sendChatMessage({ userId, type, content: `message ${i}`, data: { i } });
    }
    // Read ones, so that the full history is large enough (over 1 KB) to be compressed.
    for (let i = 3; i < 40; i++) {
      const sent = await chatResponseService.sendChatMessage({ userId, type: 'INFO', content: `older message ${i}`, data: { i } });
      await chatResponseService.markMessagesAsRead([sent.messageId!], userId);
    }
  });
  afterAll(async () => {
    await closeDatabase();
    await nextItself?.stop();
    await app?.dispose();
  });

  async function answer(browser: Browser, path: string, baseUrl = app.baseUrl) {
    const response = await fetch(`${baseUrl}${path}`, {
      headers: { cookie: browser.cookieHeader, 'accept-encoding': 'gzip' },
      redirect: 'manual',
    });
    const headers = Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers.get(name)]));
    const security = Object.fromEntries(SECURITY_HEADERS.map((name) => [name, response.headers.get(name)]));
    const transfer = { vary: response.headers.get('vary') ?? '', encoding: response.headers.get('content-encoding') };
    return { status: response.status, headers, security, transfer, body: await response.text() };
  }

  const anonymous = () => new Browser(app.baseUrl);
  const forged = () => {
    const browser = new Browser(app.baseUrl);
    browser.setCookie('next-auth.session-token', 'not-a-session');
    return browser;
  };

  const CASES: Array<{ name: string; path: string; status: number; who: () => Browser }> = [
    { name: 'the unread list', path: '/api/chat-messages?limit=50', status: 200, who: () => signedIn },
    { name: 'the unread list by priority', path: '/api/chat-messages?minPriority=high', status: 200, who: () => signedIn },
    { name: 'history after a cursor', path: '/api/chat-messages/history?after=1&limit=1', status: 200, who: () => signedIn },
    { name: 'the latest history page', path: '/api/chat-messages/history', status: 200, who: () => signedIn },
    { name: 'a history page over 1 KB (gzipped)', path: '/api/chat-messages/history?limit=200', status: 200, who: () => signedIn },
    { name: 'the unread count', path: '/api/chat-messages/unread-count', status: 200, who: () => signedIn },
    { name: 'a limit out of range', path: '/api/chat-messages?limit=0', status: 400, who: () => signedIn },
    { name: 'a cursor that is not a number', path: '/api/chat-messages/history?after=abc', status: 400, who: () => signedIn },
    { name: 'a NUL in the query', path: '/api/chat-messages/unread-count?x=%00', status: 400, who: () => signedIn },
    { name: 'no session', path: '/api/chat-messages', status: 401, who: anonymous },
    { name: 'a forged session cookie', path: '/api/chat-messages/history?after=0', status: 401, who: forged },
  ];

  it.each(CASES)('answers $name ($status) exactly as the route handler does through Next.js', async ({ path, status, who }) => {
    const browser = who();
    const direct = await answer(browser, path);
    const next = await answer(browser, path, nextItself.baseUrl);
    expect(direct.status).toBe(status);
    expect({ ...direct, security: undefined, transfer: undefined }).toEqual({ ...next, security: undefined, transfer: undefined });
    // Compression as Next's: both vary on Accept-Encoding, and a body over 1 KB is gzipped by both
    // (Next also gzips smaller ones; the entry leaves them as they are).
    expect(direct.transfer.vary).toMatch(/\bAccept-Encoding\b/i);
    expect(next.transfer.vary).toMatch(/\bAccept-Encoding\b/i);
    if (direct.body.length >= 1024) expect([direct.transfer.encoding, next.transfer.encoding]).toEqual(['gzip', 'gzip']);
    // And the entry answered, not Next's pipeline (which varies on its router headers too).
    expect(next.transfer.vary).toMatch(/\brsc\b/i);
    expect(direct.transfer.vary).not.toMatch(/\brsc\b/i);
    expect(direct.headers['content-type']).toMatch(/^application\/json/);
    for (const value of Object.values(direct.security)) expect(value).toBeTruthy();
    expect(direct.body).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
  });

  it('returns the stored messages to their owner only', async () => {
    const list = JSON.parse((await answer(signedIn, '/api/chat-messages?limit=50')).body) as { messages: Array<{ content: string }> };
    expect(list.messages.map((m) => m.content)).toEqual(['message 0', 'message 1', 'message 2']);
    const history = await answer(signedIn, '/api/chat-messages/history?limit=200');
    expect(history.transfer.encoding).toBe('gzip');
    expect((JSON.parse(history.body) as { messages: unknown[] }).messages).toHaveLength(40);
    const other = new Browser(app.baseUrl);
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'other@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(0);
    expect(await other.signIn('other@example.com', PASSWORD)).toBe(true);
    const theirs = JSON.parse((await answer(other, '/api/chat-messages/history')).body) as { messages: unknown[] };
    expect(theirs.messages).toEqual([]);
  });

  it('leaves other methods and HEAD to Next.js: HEAD answers without a body, POST marks read, PUT is 405', async () => {
    const head = await signedIn.fetch('/api/chat-messages/unread-count', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const list = JSON.parse((await answer(signedIn, '/api/chat-messages')).body) as { messages: Array<{ id: string }> };
    const marked = await signedIn.json('/api/chat-messages', { json: { messageIds: [list.messages[0]!.id] } });
    expect(marked.status).toBe(200);
    expect((await signedIn.json<{ total: number }>('/api/chat-messages/unread-count')).body.total).toBe(2);
    expect((await signedIn.fetch('/api/chat-messages/history', { method: 'PUT' })).status).toBe(405);
  });
});
