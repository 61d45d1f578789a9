import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppServer } from '@test/helpers/app-server';
import {
  ALL_WEEK,
  artifact,
  chatSend,
  connectionText,
  createUser,
  DESKTOP,
  launchChromium,
  messageContents,
  noChromium,
  PHONE,
  signIn as signInAs,
  submitSignIn,
  unreadBadge,
  waitForLive,
} from './support';

const TZ = 'Europe/Berlin';

// The chat UI in Debian's Chromium against `next start` on embedded PGlite (worker in-process).
// Skipped on a machine without Chromium, except in CI, where .ci/run installs it.
describe.skipIf(noChromium)('chat UI in a real browser', () => {
  let app: AppServer;
  let browser: Browser;
  let desktop: BrowserContext;
  let userId: string;

  beforeAll(async () => {
    app = await startApp({
      kind: 'pglite',
      beforeStart: async (env) => {
        for (const email of ['ana@example.com', 'lee@example.com']) {
          const id = await createUser(env, { email, timezone: TZ, workingHours: ALL_WEEK });
          if (email.startsWith('ana')) userId = id;
        }
      },
    });
    browser = await launchChromium();
    desktop = await browser.newContext({ ...DESKTOP, timezoneId: TZ });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  /** Opens the chat signed out, is sent to /login, signs in, and waits for the stream. */
  const signIn = (page: Page, email: string) => signInAs(page, { baseUrl: app.baseUrl, email, from: 'chat', live: 'stream' });

  it('shows a bad password as an error on /login', async () => {
    const page = await desktop.newPage();
    await page.goto(`${app.baseUrl}/login`);
    await submitSignIn(page, { email: 'ana@example.com', password: 'wrong password' });
    await expect.poll(() => page.locator('form [role="alert"]').textContent()).toContain('Wrong email or password');
    await page.close();
  });

  it('sends a request and shows SCHEDULING_UPDATE then CONFIRMATION without a reload', async () => {
    const page = await desktop.newPage();
    await signIn(page, 'ana@example.com');
    // Keep messages unread for the badge tests that follow.
    await page.getByLabel('Mark read when seen').uncheck();
    await page.getByLabel('Ask the scheduling agent').fill('book 30 min with Dana tomorrow at 3pm');
    await page.keyboard.press('Enter');
    await page.locator('li[data-type="CONFIRMATION"]').waitFor({ timeout: 30_000 });
    const types = await page.locator('li[data-message-id]').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.type));
    expect(types).toEqual(['SCHEDULING_UPDATE', 'SCHEDULING_UPDATE', 'CONFIRMATION']);
    expect((await messageContents(page)).at(-1)).toMatch(/^Meeting scheduled: Meeting with Dana, \w{3}, \w{3} \d+, 3:00\sPM \(30 min\)$/);
    await expect.poll(() => unreadBadge(page)).toBe('3');
    const history = page.getByRole('button', { name: 'History of “book 30 min with Dana tomorrow at 3pm”' });
    await expect.poll(() => history.count()).toBe(1);
    await page.screenshot({ path: artifact('desktop-confirmation.png') });

    // The task's history opens from its run (the guide's task endpoint).
    await history.click();
    const dialog = page.getByRole('dialog', { name: 'Task history' });
    await expect.poll(() => dialog.locator('li').count()).toBe(3);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    await page.close();
  });

  it('after a server restart, 5 messages sent while it was down appear once each, in order', async () => {
    const page = await desktop.newPage();
    await page.goto(`${app.baseUrl}/`);
    await waitForLive(page, 'stream');
    const before = (await messageContents(page)).length;

    await app.stop();
    await expect.poll(() => connectionText(page), { timeout: 20_000 }).toContain('Reconnecting');
    await page.screenshot({ path: artifact('desktop-reconnecting.png') });
    // With the server down the embedded database is free for the operator CLI.
    // One of each remaining type, so every type is on screen (and in the README's screenshot).
    const types = ['info', 'clarification', 'cancellation', 'error', 'scheduling_update'];
    for (let i = 1; i <= 5; i++) {
      const sent = await chatSend(app.env, { user: userId, type: types[i - 1]!, content: `While you were away #${i}` });
      expect(sent).toMatchObject({ success: true });
    }
    await app.restart();

    await expect.poll(async () => (await messageContents(page)).length, { timeout: 30_000 }).toBe(before + 5);
    const all = await messageContents(page);
    expect(all.slice(before)).toEqual([1, 2, 3, 4, 5].map((i) => `While you were away #${i}`));
    expect(new Set(all).size).toBe(all.length);
    await expect.poll(() => connectionText(page)).toContain('Live · stream');
    await expect.poll(() => unreadBadge(page)).toBe('8');
    await page.screenshot({ path: artifact('desktop-after-restart.png') });
    await page.close();
    // Five CLI runs, each opening the embedded database, and a restart: minutes on a loaded machine.
  }, 300_000);

  it('"Mark all read" in one tab clears the badge in a second tab', async () => {
    const first = await desktop.newPage();
    const second = await desktop.newPage();
    for (const page of [first, second]) {
      await page.goto(`${app.baseUrl}/`);
      await waitForLive(page, 'stream');
      await expect.poll(() => unreadBadge(page)).toBe('8');
    }
    await first.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => unreadBadge(first)).toBe('0');
    await expect.poll(() => unreadBadge(second), { timeout: 15_000 }).toBe('0');
    expect(await second.locator('li[data-read="false"]').count()).toBe(0);
    await second.screenshot({ path: artifact('second-tab-cleared.png') });
    await first.close();
    await second.close();
  });

  it('works on a phone-sized screen: send, confirmation, messages marked read when seen', async () => {
    const phone = await browser.newContext({ ...PHONE, timezoneId: TZ });
    const page = await phone.newPage();
    await signIn(page, 'lee@example.com');
    await page.getByLabel('Ask the scheduling agent').fill('book 45 min with Kim tomorrow at 11am');
    await page.getByRole('button', { name: 'Send' }).tap();
    await page.locator('li[data-type="CONFIRMATION"]').waitFor({ timeout: 30_000 });
    // Seen on screen in a visible tab: marked read, badge back to 0.
    await expect.poll(() => unreadBadge(page), { timeout: 15_000 }).toBe('0');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: artifact('phone-confirmation.png'), fullPage: true });
    await phone.close();
  });
});
