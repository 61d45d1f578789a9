import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { stopFanout } from '@/lib/realtime/fanout';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { startS3Server, type S3Server } from '@test/helpers/s3-server';
import { eventData, openSse, type SseConnection } from '@test/helpers/sse-client';

// Attachments and the agent's live activity over HTTP, on PostgreSQL: the CLI attaches files,
// the API lists them and serves them to their owner only; activities reach streams on two
// instances sharing one database and are never replayed.

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const PASSWORD = 'a long enough password';
const SESSION_COOKIE = 'next-auth.session-token';
const ICS = 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n';

interface Listed {
  id: string;
  attachments: Array<{ id: string; filename: string; contentType: string; size: number; url: string }>;
}

describe.skipIf(!hasPostgres)('attachments and activity over HTTP (PostgreSQL)', () => {
  let appA: AppServer;
  let appB: AppServer;
  let s3: S3Server;
  let appS3: AppServer;
  let dir: string;
  const ids: Record<string, string> = {};
  const browsers: Record<string, Browser> = {};
  const open: SseConnection[] = [];

  async function signedIn(app: AppServer, email: string): Promise<{ id: string; browser: Browser }> {
    const created = await runCli(app.env, 'user-create.ts', ['--email', email, '--password', PASSWORD]);
    expect(created.code).toBe(0);
    const browser = new Browser(app.baseUrl);
    expect(await browser.signIn(email, PASSWORD)).toBe(true);
    return { id: created.output.id as string, browser };
  }

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'attach-http-'));
    await fs.writeFile(path.join(dir, 'invite.ics'), ICS);
    await fs.writeFile(path.join(dir, 'page.html'), '<script>alert(1)</script>');
    await fs.writeFile(path.join(dir, 'big.bin'), Buffer.alloc(5 * 1024 * 1024 + 1));
    appA = await startApp({ kind: 'postgres' });
    appB = await startApp({ kind: 'postgres', env: { DATABASE_URL: appA.env.DATABASE_URL! } });
    s3 = await startS3Server();
    appS3 = await startApp({ kind: 'postgres', env: s3.env });
    for (const name of ['ana', 'bob']) {
      const { id, browser } = await signedIn(appA, `${name}@example.com`);
      ids[name] = id;
      browsers[name] = browser;
    }
    setDatabase(await openDatabase({ databaseUrl: appA.env.DATABASE_URL, pgliteDir: 'unused' }));
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await stopFanout();
    await closeDatabase();
    await appS3?.dispose();
    await s3?.stop();
    await appB?.dispose();
    await appA?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('npm run chat:send --attach (repeatable) stores the files; the list shows them; the owner downloads them, nobody else', async () => {
    const sent = await runCli(appA.env, 'chat-send.ts', [
      ...['--user', ids.ana!, '--type', 'confirmation', '--content', 'Booked', '--task', 'task_1'],
      ...['--attach', path.join(dir, 'invite.ics'), '--attach', path.join(dir, 'page.html')],
    ]);
    expect(sent).toMatchObject({ code: 0, output: { success: true } });
    const list = await browsers.ana!.json<{ messages: Listed[] }>('/api/chat-messages');
    const message = list.body.messages.find((m) => m.id === sent.output.messageId)!;
    expect(message.attachments).toEqual([
      { id: expect.any(String), filename: 'invite.ics', contentType: 'text/calendar', size: ICS.length, url: expect.any(String) },
      { id: expect.any(String), filename: 'page.html', contentType: 'text/html', size: 25, url: expect.any(String) },
    ]);
    const [ics, html] = message.attachments;
    expect(ics!.url).toBe(`/api/chat-messages/attachments/${ics!.id}`);

    const file = await browsers.ana!.fetch(ics!.url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="invite.ics"; filename*=UTF-8''invite.ics`);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-type')).toBe('text/calendar');
    expect(await file.text()).toBe(ICS);

    // HTML is never served as HTML: a download, as bytes, that the browser may not sniff.
    const page = await browsers.ana!.fetch(html!.url);
    expect(page.headers.get('content-type')).toBe('application/octet-stream');
    expect(page.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toBe('<script>alert(1)</script>');

    // Another user: 404, exactly as for an id that does not exist; no session: 401.
    const other = await browsers.bob!.fetch(ics!.url);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'not_found' } });
    const missing = await browsers.ana!.fetch('/api/chat-messages/attachments/nope');
    expect(missing.status).toBe(404);
    expect((await new Browser(appA.baseUrl).fetch(ics!.url)).status).toBe(401);
  });

  it('a refused attachment fails the send naming it, and nothing is stored', async () => {
    const before = (await browsers.bob!.json<{ total: number }>('/api/chat-messages/unread-count')).body.total;
    const base = ['--user', ids.bob!, '--type', 'info', '--content', 'x'];
    const tooBig = await runCli(appA.env, 'chat-send.ts', [...base, '--attach', path.join(dir, 'big.bin')]);
    expect(tooBig.code).toBe(1);
    expect(tooBig.output.error).toMatch(/--attach .*big\.bin: must be at most 5242880 bytes/);
    const absent = await runCli(appA.env, 'chat-send.ts', [...base, '--attach', path.join(dir, 'absent.txt')]);
    expect(absent.output.error).toMatch(/--attach .*absent\.txt: no such file/);
    const eleven = await runCli(appA.env, 'chat-send.ts', [
      ...base,
      ...Array.from({ length: 11 }, () => ['--attach', path.join(dir, 'invite.ics')]).flat(),
    ]);
    expect(eleven.output.error).toMatch(/--attach: at most 10 files/);
    expect((await browsers.bob!.json<{ total: number }>('/api/chat-messages/unread-count')).body.total).toBe(before);
  });

  it('with S3_BUCKET the download is a redirect to a short-lived presigned URL that serves the file as an attachment', async () => {
    const { id, browser } = await signedIn(appS3, 'cleo@example.com');
    const sent = await runCli(appS3.env, 'chat-send.ts', [
      '--user',
      id,
      '--type',
      'info',
      '--content',
      'x',
      '--attach',
      path.join(dir, 'invite.ics'),
    ]);
    expect(sent.code).toBe(0);
    const list = await browser.json<{ messages: Listed[] }>('/api/chat-messages');
    const [attachment] = list.body.messages[0]!.attachments;
    const redirect = await browser.fetch(attachment!.url);
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location.startsWith(`${s3.endpoint}/${s3.bucket}/attachments/`)).toBe(true);
    expect(location).toMatch(/X-Amz-Expires=60\b/);
    const file = await fetch(location);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="invite.ics"/);
    expect(await file.text()).toBe(ICS);
    // Another user still gets 404 from the app, and never a URL.
    const { browser: other } = await signedIn(appS3, 'dan@example.com');
    const refused = await other.fetch(attachment!.url);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('location')).toBeNull();
  });

  it('an activity reaches two tabs on two instances as an event without id, and a reconnecting tab never gets it again', async () => {
    const tabA = await openSse(browsers.ana!, '/api/chat-messages/stream');
    const b = new Browser(appB.baseUrl);
    b.setCookie(SESSION_COOKIE, browsers.ana!.getCookie(SESSION_COOKIE)!);
    const tabB = await openSse(b, '/api/chat-messages/stream');
    open.push(tabA, tabB);
    for (const tab of [tabA, tabB]) {
      expect(tab.status).toBe(200);
      await tab.events.until((e) => e.event === 'ready');
    }
    const sent = await chatResponseService.sendActivity({ userId: ids.ana!, taskId: 'task_1', state: 'checking_availability' });
    expect(sent).toMatchObject({ success: true, streamsSent: true });
    for (const tab of [tabA, tabB]) {
      const [activity] = await tab.events.until((e) => e.event === 'activity');
      expect(activity!.id).toBeUndefined();
      expect(eventData(activity!)).toEqual({
        taskId: 'task_1',
        state: 'checking_availability',
        label: 'Checking availability…',
        ttlMs: 10_000,
        at: expect.any(String),
      });
    }
    // The CLI, a process of its own, reaches the same tabs through the fan-out; a bad state is refused naming it.
    const cli = await runCli(appA.env, 'chat-activity.ts', [
      '--user',
      ids.ana!,
      '--task',
      'task_1',
      '--state',
      'booking',
      '--label',
      'Booking it',
    ]);
    expect(cli).toMatchObject({ code: 0, output: { success: true, streamsSent: true } });
    for (const tab of [tabA, tabB]) {
      const [activity] = await tab.events.until((e) => e.event === 'activity' && eventData(e).state === 'booking');
      expect(eventData(activity!)).toMatchObject({ taskId: 'task_1', state: 'booking', label: 'Booking it' });
    }
    const refused = await runCli(appA.env, 'chat-activity.ts', ['--user', ids.ana!, '--task', 'task_1', '--state', 'napping']);
    expect(refused.code).not.toBe(0);
    expect(JSON.stringify(refused.output)).toContain('state');

    // Bob's streams hear nothing of Ana's agent: a message for Bob arrives, no activity before it.
    const bobTab = await openSse(browsers.bob!, '/api/chat-messages/stream');
    open.push(bobTab);
    await bobTab.events.until((e) => e.event === 'ready');
    await chatResponseService.sendActivity({ userId: ids.ana!, taskId: 'task_1', state: 'booking' });
    await chatResponseService.sendInfo('task_2', ids.bob!, 'for bob');
    const bobEvents = await bobTab.events.until((e) => e.event === 'chat-message');
    expect(bobEvents.filter((e) => e.event === 'activity')).toEqual([]);

    // A tab that reconnects (Last-Event-ID) replays messages, never the activities it missed or saw.
    await tabA.close();
    await chatResponseService.sendActivity({ userId: ids.ana!, taskId: 'task_1', state: 'thinking' });
    const marker = await chatResponseService.sendInfo('task_1', ids.ana!, 'marker');
    const again = await openSse(browsers.ana!, '/api/chat-messages/stream', { lastEventId: 0 });
    open.push(again);
    const replayed = await again.events.until((e) => e.event === 'chat-message' && eventData(e).id === marker.messageId);
    const afterReady = await again.events.until((e) => e.event === 'ready');
    expect([...replayed, ...afterReady].filter((e) => e.event === 'activity')).toEqual([]);
  });
});
