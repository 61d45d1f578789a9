import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { artifact, chatSend, createUser, launchChromium, noChromium, noPostgres, signIn } from './support';

// Priorities in the chat UI, in Debian's Chromium against the built app on PostgreSQL (so the
// operator CLI can send while the app runs): HIGH and URGENT marked in colour and words, an unread
// URGENT message in a banner until it is read, and "Mark read when seen" never marking it.
describe.skipIf(noChromium || noPostgres)('message priority in a real browser', () => {
  let app: AppServer;
  let browser: Browser;
  let userId: string;

  beforeAll(async () => {
    app = await startApp({ kind: 'postgres' });
    userId = await createUser(app.env, { email: 'urgent@example.com' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  async function send(content: string, priority?: string): Promise<string> {
    return (await chatSend(app.env, { user: userId, task: 'prio', content, priority })).messageId;
  }

  const item = (page: Page, id: string) => page.locator(`li[data-message-id="${id}"]`);

  it('marks HIGH and URGENT, keeps URGENT unread and bannered until the user marks it read', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    await signIn(page, { baseUrl: app.baseUrl, email: 'urgent@example.com', from: 'chat' });
    expect(await page.getByLabel('Mark read when seen').isChecked()).toBe(true);

    const normal = await send('Your calendar is up to date');
    const high = await send('Dana asked to move the meeting', 'high');
    const urgent = await send('The booking failed: act now', 'URGENT');

    // Marked in words (and colour): nothing on NORMAL.
    await item(page, urgent).waitFor({ timeout: 20_000 });
    expect(await item(page, normal).getByTestId('priority-badge').count()).toBe(0);
    expect(await item(page, high).getByTestId('priority-badge').textContent()).toContain('High priority');
    const urgentBadge = item(page, urgent).getByTestId('priority-badge');
    expect(await urgentBadge.textContent()).toContain('Urgent');
    const colours = await Promise.all(
      [item(page, high).getByTestId('priority-badge'), urgentBadge].map((l) => l.evaluate((el) => getComputedStyle(el).backgroundColor)),
    );
    expect(colours[0]).not.toBe(colours[1]);
    expect(colours.every((c) => c !== 'rgba(0, 0, 0, 0)')).toBe(true);

    // The banner names the unread URGENT message.
    const banner = page.getByTestId('urgent-banner');
    await expect.poll(() => banner.textContent()).toContain('The booking failed: act now');
    expect(await banner.getAttribute('role')).toBe('alert');

    // "Mark read when seen" marks the others once seen, never the URGENT one.
    await expect.poll(() => item(page, high).getAttribute('data-read'), { timeout: 15_000 }).toBe('true');
    await expect.poll(() => item(page, normal).getAttribute('data-read'), { timeout: 15_000 }).toBe('true');
    expect(await item(page, urgent).getAttribute('data-read')).toBe('false');
    const count = await page.evaluate(async () => (await fetch('/api/chat-messages/unread-count')).json());
    expect(count).toEqual({ total: 1, byPriority: { LOW: 0, NORMAL: 0, HIGH: 0, URGENT: 1 } });
    await page.screenshot({ path: artifact('priority-urgent-banner.png') });

    // Only the user's own action reads it; then the banner goes.
    await banner.getByRole('button', { name: 'Mark urgent read' }).click();
    await expect.poll(() => item(page, urgent).getAttribute('data-read')).toBe('true');
    await expect.poll(() => banner.count()).toBe(0);
    const after = await page.evaluate(async () => (await fetch('/api/chat-messages/unread-count')).json());
    expect(after).toMatchObject({ total: 0 });
    await context.close();
  });
});
