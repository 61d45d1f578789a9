import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('./artifacts', import.meta.url));
const PASSWORD = 'a long enough password';
const ALL_WEEK = JSON.stringify({ days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' });
const TZ = 'Europe/Berlin';

// The chat UI in Debian's Chromium against `next start` on embedded PGlite (worker in-process).
// Skipped on a machine without Chromium, except in CI, where .ci/run installs it.
describe.skipIf(!fs.existsSync(CHROMIUM) && !process.env.CI)('chat UI in a real browser', () => {
  let app: AppServer;
  let browser: Browser;
  let desktop: BrowserContext;
  let userId: string;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    app = await startApp({
      kind: 'pglite',
      beforeStart: async (env) => {
        for (const email of ['ana@example.com', 'lee@example.com']) {
          const created = await runCli(env, 'user-create.ts', [
            '--email',
            email,
            '--password',
            PASSWORD,
            '--timezone',
            TZ,
            '--working-hours',
            ALL_WEEK,
          ]);
          expect(created.code).toBe(0);
          if (email.startsWith('ana')) userId = created.output.id as string;
        }
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    desktop = await browser.newContext({ viewport: { width: 1200, height: 820 }, timezoneId: TZ });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  async function signIn(page: Page, email: string) {
    await page.goto(`${app.baseUrl}/`);
    await page.waitForURL(/\/login/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.baseUrl}/`);
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 20_000 }).toContain('Live · stream');
  }

  async function contents(page: Page, selector = 'li[data-message-id]') {
    return page.locator(selector).evaluateAll((els) => els.map((el) => el.querySelector('p')?.textContent ?? ''));
  }

  const badge = (page: Page) => page.getByTestId('unread-badge').textContent();

  it('shows a bad password as an error on /login', async () => {
    const page = await desktop.newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
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
    expect((await contents(page)).at(-1)).toMatch(/^Meeting scheduled: Meeting with Dana, \w{3}, \w{3} \d+, 3:00\sPM \(30 min\)$/);
    await expect.poll(() => badge(page)).toBe('3');
    const history = page.getByRole('button', { name: 'History of “book 30 min with Dana tomorrow at 3pm”' });
    await expect.poll(() => history.count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-confirmation.png') });

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
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 20_000 }).toContain('Live · stream');
    const before = (await contents(page)).length;

    await app.stop();
    await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 20_000 }).toContain('Reconnecting');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-reconnecting.png') });
    // With the server down the embedded database is free for the operator CLI.
    // One of each remaining type, so every type is on screen (and in the README's screenshot).
    const types = ['info', 'clarification', 'cancellation', 'error', 'scheduling_update'];
    for (let i = 1; i <= 5; i++) {
      const sent = await runCli(app.env, 'chat-send.ts', [
        '--user',
        userId,
        '--type',
        types[i - 1]!,
        '--content',
        `While you were away #${i}`,
      ]);
      expect(sent.output).toMatchObject({ success: true });
    }
    await app.restart();

    await expect.poll(async () => (await contents(page)).length, { timeout: 30_000 }).toBe(before + 5);
    const all = await contents(page);
    expect(all.slice(before)).toEqual([1, 2, 3, 4, 5].map((i) => `While you were away #${i}`));
    expect(new Set(all).size).toBe(all.length);
    await expect.poll(() => page.getByTestId('connection').textContent()).toContain('Live · stream');
    await expect.poll(() => badge(page)).toBe('8');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-after-restart.png') });
    await page.close();
    // Five CLI runs, each opening the embedded database, and a restart: minutes on a loaded machine.
  }, 300_000);

  it('"Mark all read" in one tab clears the badge in a second tab', async () => {
    const first = await desktop.newPage();
    const second = await desktop.newPage();
    for (const page of [first, second]) {
      await page.goto(`${app.baseUrl}/`);
      await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 20_000 }).toContain('Live · stream');
      await expect.poll(() => badge(page)).toBe('8');
    }
    await first.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => badge(first)).toBe('0');
    await expect.poll(() => badge(second), { timeout: 15_000 }).toBe('0');
    expect(await second.locator('li[data-read="false"]').count()).toBe(0);
    await second.screenshot({ path: path.join(ARTIFACTS, 'second-tab-cleared.png') });
    await first.close();
    await second.close();
  });

  it('works on a phone-sized screen: send, confirmation, messages marked read when seen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, timezoneId: TZ });
    const page = await phone.newPage();
    await signIn(page, 'lee@example.com');
    await page.getByLabel('Ask the scheduling agent').fill('book 45 min with Kim tomorrow at 11am');
    await page.getByRole('button', { name: 'Send' }).tap();
    await page.locator('li[data-type="CONFIRMATION"]').waitFor({ timeout: 30_000 });
    // Seen on screen in a visible tab: marked read, badge back to 0.
    await expect.poll(() => badge(page), { timeout: 15_000 }).toBe('0');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-confirmation.png'), fullPage: true });
    await phone.close();
  });
});
