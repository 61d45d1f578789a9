import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { Browser as HttpBrowser } from '@test/helpers/http-client';
import { PUSHER_BROWSER, PUSHER_BROWSER_ENV, pusherHostMapping } from '@test/helpers/pusher-browser';
import { startPusherServer, type PusherServer } from '@test/helpers/pusher-server';
import { startWorkerProcess } from '@test/helpers/worker-process';
import {
  ALL_WEEK,
  artifact,
  chatSend as operatorSend,
  createUser,
  DESKTOP,
  launchChromium,
  messageContents as contents,
  noChromium,
  noPostgres,
  PASSWORD,
  signIn,
  waitForLive as waitForLiveWithin,
} from './support';

const TZ = 'Europe/Berlin';
const STREAM_PATH = '/api/chat-messages/stream';

// The chat UI in Chromium over the Pusher rung: a real Soketi on loopback (started here), the app
// built with the browser's Pusher settings (test/helpers/pusher-browser.ts), two app instances and
// a `npm run worker` on one PostgreSQL database, and `npm run chat:send` as the operator's sender.
// What the page received over its WebSocket and every request it made are recorded, so a test can
// say which transport brought a message.

// Each test runs `npm run chat:send` (a process start) a few times: slow on a loaded machine.
describe.skipIf(noChromium || noPostgres)('chat UI over a self-hosted Pusher server', { timeout: 120_000 }, () => {
  let pusher: PusherServer;
  let appA: AppServer;
  let appB: AppServer;
  let worker: ReturnType<typeof startWorkerProcess>;
  let browser: Browser;
  let desktop: BrowserContext;
  const users: Record<'ana' | 'lee', string> = { ana: '', lee: '' };
  /** URLs of every request any page made. */
  const requests: string[] = [];
  /** WebSockets the pages opened, with the frames each sent and received. */
  const sockets: Array<{ url: string; page: Page; sent: string[]; received: string[] }> = [];
  let tabA: Page;
  let tabB: Page;

  beforeAll(async () => {
    pusher = await startPusherServer({ key: PUSHER_BROWSER.key });
    appA = await startApp({ kind: 'postgres', env: { ...pusher.env, ...PUSHER_BROWSER_ENV } });
    appB = await startApp({ kind: 'postgres', env: { ...pusher.env, ...PUSHER_BROWSER_ENV, DATABASE_URL: appA.env.DATABASE_URL! } });
    worker = startWorkerProcess(appA.env);
    for (const name of ['ana', 'lee'] as const) {
      users[name] = await createUser(appA.env, { email: `${name}@example.com`, timezone: TZ, workingHours: ALL_WEEK });
    }
    browser = await launchChromium([pusherHostMapping(pusher)]);
    desktop = await browser.newContext({ ...DESKTOP, timezoneId: TZ });
    desktop.on('request', (request) => void requests.push(request.url()));
    desktop.on('page', (page) =>
      page.on('websocket', (ws) => {
        const socket = { url: ws.url(), page, sent: [] as string[], received: [] as string[] };
        sockets.push(socket);
        ws.on('framesent', ({ payload }) => void socket.sent.push(payload.toString()));
        ws.on('framereceived', ({ payload }) => void socket.received.push(payload.toString()));
      }),
    );
  });
  afterAll(async () => {
    await browser?.close();
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await appB?.dispose();
    await appA?.dispose();
    await pusher?.stop();
  });

  const streamRequests = () => requests.filter((url) => url.includes(STREAM_PATH));

  /** Every message is on the page once (the agent's progress lines may repeat a text, so by id). */
  async function expectNoDuplicates(page: Page): Promise<void> {
    const ids = await page.locator('li[data-message-id]').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.messageId));
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  }

  /** Pusher events of `event` the page's sockets received, parsed (Pusher sends `data` as a JSON string). */
  function pusherEvents(page: Page, event: string): Array<{ channel?: string; data: Record<string, unknown> }> {
    return sockets
      .filter((s) => s.page === page)
      .flatMap((s) => s.received)
      .map((frame) => JSON.parse(frame) as { event: string; channel?: string; data?: unknown })
      .filter((frame) => frame.event === event)
      .map((frame) => ({
        channel: frame.channel,
        data: (typeof frame.data === 'string' ? JSON.parse(frame.data) : (frame.data ?? {})) as Record<string, unknown>,
      }));
  }

  /** `npm run chat:send` through instance A. */
  const chatSend = (user: string, content: string) => operatorSend(appA.env, { user, content });

  /** Pusher gives up after about 10 s before the stream takes over: longer than support.ts's default wait. */
  const waitForLive = (page: Page, transport: 'Pusher' | 'stream') => waitForLiveWithin(page, transport, 45_000);

  it('connects to the self-hosted server, signs in to its user channel, and shows a chat:send message without reload or stream', async () => {
    tabA = await desktop.newPage();
    await signIn(tabA, { baseUrl: appA.baseUrl, email: 'ana@example.com', from: 'chat', live: 'Pusher', timeout: 45_000 });
    expect(await tabA.getByTestId('connection').getAttribute('data-transport')).toBe('pusher');

    // The built address (which Chromium maps to this run's Soketi), never Pusher's cloud.
    const [socket] = sockets.filter((s) => s.page === tabA);
    expect(socket!.url).toMatch(new RegExp(`^ws://${PUSHER_BROWSER.host}:${PUSHER_BROWSER.port}/app/${PUSHER_BROWSER.key}\\?`));
    expect(requests.some((url) => url.includes('pusher.com'))).toBe(false);
    // Only the channel of events to the signed-in user, which pusher-js joins by itself once the
    // connection signed in as Ana (/api/pusher/user-auth); never the guide's private channel, so
    // that a session's end (which closes signed-in connections) cuts the page off.
    expect(socket!.sent.some((frame) => frame.includes(`"private-user-${users.ana}"`))).toBe(false);
    expect(pusherEvents(tabA, 'pusher:signin_success')).toHaveLength(1);
    expect(pusherEvents(tabA, 'pusher_internal:subscription_succeeded').map((e) => e.channel)).toEqual([`#server-to-user-${users.ana}`]);

    // A reload would lose this.
    await tabA.evaluate(() => Object.assign(window, { e2eSamePage: true }));
    const sent = await chatSend(users.ana, 'Hello over Pusher');
    expect(sent).toMatchObject({ success: true, pusherSent: true, databaseStored: true });
    await expect.poll(() => contents(tabA), { timeout: 15_000 }).toContain('Hello over Pusher');
    // Once, on the user's channel.
    expect(pusherEvents(tabA, 'chat-message').filter((e) => e.data.content === 'Hello over Pusher')).toEqual([
      expect.objectContaining({ channel: `#server-to-user-${users.ana}` }),
    ]);
    expect(await tabA.evaluate(() => 'e2eSamePage' in window)).toBe(true);
    expect(streamRequests()).toEqual([]);
    await tabA.screenshot({ path: artifact('pusher-live.png') });
  });

  it('shows the full body of a message over 10 KB, which Pusher carried as a thin event', async () => {
    // Within the 10,000-character content limit, over Pusher's 10 KB event limit: Cyrillic takes
    // 2 bytes a letter (and renders in the fonts Debian's Chromium has).
    const long = `Повестка дня. ${'Проверить квартальные цифры, план найма и бюджет на следующую неделю. '.repeat(100)}Конец.`;
    expect(long.length).toBeLessThanOrEqual(10_000);
    expect(Buffer.byteLength(long)).toBeGreaterThan(12_000);
    const sent = await chatSend(users.ana, long);
    expect(sent.pusherSent).toBe(true);

    await expect.poll(() => contents(tabA), { timeout: 15_000 }).toContain(long);
    const thin = pusherEvents(tabA, 'chat-message').find((e) => e.data.id === sent.messageId);
    expect(thin!.data).toMatchObject({ id: sent.messageId, truncated: true });
    expect(thin!.data).not.toHaveProperty('content');
    expect(streamRequests()).toEqual([]);
    await expectNoDuplicates(tabA);
    await tabA.screenshot({ path: artifact('pusher-thin-event.png') });
  });

  it("never shows another user's message, and cannot subscribe to their channel", async () => {
    const forLee = await chatSend(users.lee, 'For Lee only');
    expect(forLee.pusherSent).toBe(true);
    await chatSend(users.ana, 'For Ana, after Lee');
    await expect.poll(() => contents(tabA), { timeout: 15_000 }).toContain('For Ana, after Lee');
    expect(await contents(tabA)).not.toContain('For Lee only');
    expect(sockets.flatMap((s) => s.received).some((frame) => frame.includes('For Lee only'))).toBe(false);

    // The page's own session asking to sign Lee's channel is refused.
    const status = await tabA.evaluate(
      (channel) =>
        fetch('/api/pusher/auth', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `socket_id=123.456&channel_name=${channel}`,
        }).then((r) => r.status),
      `private-user-${users.lee}`,
    );
    expect(status).toBe(403);
  });

  it('two instances and a worker on one database: messages sent through each reach both tabs once', async () => {
    // The session cookie is for 127.0.0.1, so the same sign-in holds on instance B's port.
    tabB = await desktop.newPage();
    await tabB.goto(`${appB.baseUrl}/`);
    await waitForLive(tabB, 'Pusher');

    // Through instance B: the request is queued, the worker process sends the agent's answers.
    await tabB.getByLabel('Ask the scheduling agent').fill('book 30 min with Dana tomorrow at 3pm');
    await tabB.keyboard.press('Enter');
    // Through instance A the same way, and through the CLI.
    await tabA.getByLabel('Ask the scheduling agent').fill('book 45 min with Kim tomorrow at 11am');
    await tabA.keyboard.press('Enter');
    await chatSend(users.ana, 'Sent by the operator while the agent works');

    for (const page of [tabA, tabB]) {
      await expect.poll(() => page.locator('li[data-type="CONFIRMATION"]').count(), { timeout: 60_000 }).toBe(2);
      await expect.poll(() => contents(page), { timeout: 15_000 }).toContain('Sent by the operator while the agent works');
    }
    // Both tabs hold the same messages in the same order, each once.
    await expect.poll(async () => (await contents(tabB)).length, { timeout: 15_000 }).toBe((await contents(tabA)).length);
    expect(await contents(tabB)).toEqual(await contents(tabA));
    for (const page of [tabA, tabB]) await expectNoDuplicates(page);
    // Every confirmation came over Pusher, published by the worker process.
    expect(pusherEvents(tabB, 'chat-message').filter((e) => e.data.type === 'CONFIRMATION')).toHaveLength(2);
    expect(streamRequests()).toEqual([]);
    await tabB.locator('li[data-type="CONFIRMATION"]').first().scrollIntoViewIfNeeded();
    await tabB.screenshot({ path: artifact('pusher-two-instances.png') });
  });

  it('the Pusher server stopped mid-session: the tabs move to the stream and lose nothing', async () => {
    const before = await contents(tabA);
    await pusher.stop();
    // Sent while pusher-js is still trying to reconnect, and after the tabs moved to the stream.
    const early = await chatSend(users.ana, 'While Pusher is down #1');
    expect(early).toMatchObject({ success: true, pusherSent: false, databaseStored: true });
    for (const page of [tabA, tabB]) await waitForLive(page, 'stream');
    expect(streamRequests().length).toBeGreaterThanOrEqual(2);
    for (const i of [2, 3]) expect((await chatSend(users.ana, `While Pusher is down #${i}`)).pusherSent).toBe(false);

    const expected = [...before, 'While Pusher is down #1', 'While Pusher is down #2', 'While Pusher is down #3'];
    for (const page of [tabA, tabB]) {
      await expect.poll(() => contents(page), { timeout: 15_000 }).toEqual(expected);
      expect(await page.getByTestId('connection').getAttribute('data-transport')).toBe('sse');
    }
    await tabA.screenshot({ path: artifact('pusher-down-stream.png') });
  });

  it(
    'the Pusher server back: tabs go back to Pusher by themselves, nothing is shown twice, and a reload is on Pusher too',
    { timeout: 240_000 },
    async () => {
      await tabB.evaluate(() => Object.assign(window, { e2eNotReloaded: true }));
      await pusher.restart();
      // The tabs probe Pusher in the background every 30 s while the stream runs, and move back
      // once a probe is subscribed: no reload (tab B is the same page throughout).
      for (const page of [tabA, tabB]) {
        await expect
          .poll(() => page.getByTestId('connection').getAttribute('data-transport'), { timeout: 75_000, interval: 500 })
          .toBe('pusher');
        await waitForLive(page, 'Pusher');
      }
      expect(await tabB.evaluate(() => 'e2eNotReloaded' in window)).toBe(true);
      const back = await chatSend(users.ana, 'Pusher is back #1');
      expect(back.pusherSent).toBe(true);
      for (const page of [tabA, tabB]) {
        await expect.poll(() => contents(page), { timeout: 15_000 }).toContain('Pusher is back #1');
        await expectNoDuplicates(page);
        expect(pusherEvents(page, 'chat-message').map((e) => e.data.content)).toContain('Pusher is back #1');
      }

      // A new page load tries Pusher first again; what it loads and what Pusher brings overlap.
      const shown = await contents(tabA);
      const socketsBefore = sockets.filter((s) => s.page === tabA).length;
      await tabA.reload();
      await waitForLive(tabA, 'Pusher');
      expect(sockets.filter((s) => s.page === tabA)).toHaveLength(socketsBefore + 1);
      await expect.poll(() => contents(tabA), { timeout: 15_000 }).toEqual(shown);

      const again = await chatSend(users.ana, 'Pusher is back #2');
      expect(again.pusherSent).toBe(true);
      for (const page of [tabA, tabB]) {
        await expect.poll(() => contents(page), { timeout: 15_000 }).toEqual([...shown, 'Pusher is back #2']);
        await expectNoDuplicates(page);
      }
      expect(pusherEvents(tabA, 'chat-message').map((e) => e.data.content)).toContain('Pusher is back #2');
      await tabA.screenshot({ path: artifact('pusher-back.png') });
    },
  );

  it('a tab on Pusher whose session is ended elsewhere (a password change) is closed by the server and goes to /login', async () => {
    const context = await browser.newContext({ ...DESKTOP, timezoneId: TZ });
    const seen: string[] = [];
    context.on('request', (request) => void seen.push(request.url()));
    const tab = await context.newPage();
    const frames: string[] = [];
    tab.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => void frames.push(payload.toString())));
    await signIn(tab, { baseUrl: appA.baseUrl, email: 'lee@example.com', live: 'Pusher', timeout: 45_000 });
    // The connection signed in as Lee, so that the server can find it.
    await expect.poll(() => frames.some((frame) => frame.includes('pusher:signin_success')), { timeout: 15_000 }).toBe(true);

    // Another device signs in as Lee and changes the password: every other session ends.
    const elsewhere = new HttpBrowser(appB.baseUrl);
    expect(await elsewhere.signIn('lee@example.com', PASSWORD)).toBe(true);
    const changed = await elsewhere.json('/api/users/me/password', {
      json: { currentPassword: PASSWORD, newPassword: 'lee has a new long password' },
    });
    expect(changed.status).toBe(200);

    // Pusher closed the tab's connection (4009: before, the subscription simply went on), the
    // ladder went to the stream, which refused the ended session, and the page went to sign in.
    await tab.waitForURL(/\/login/, { timeout: 20_000 });
    expect(frames.some((frame) => frame.includes('"pusher:error"') && frame.includes('4009'))).toBe(true);
    expect(seen.some((url) => url.includes(STREAM_PATH))).toBe(true);
    await context.close();
  });
});
