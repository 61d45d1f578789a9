import fs from 'node:fs';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { stopFanout } from '@/lib/realtime/fanout';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { createUser, launchChromium, noChromium, noPostgres, signIn } from './support';

const ICS = 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n';

// Attachment chips and the agent's live activity in Chromium, against the app on PostgreSQL;
// this test process sends through the service (commit + NOTIFY), as a worker would.
describe.skipIf(noChromium || noPostgres)('attachments and live activity in a real browser', () => {
  let app: AppServer;
  let browser: Browser;
  let userId: string;

  beforeAll(async () => {
    // A short TTL so the expiry is seen within the test.
    app = await startApp({ kind: 'postgres', env: { ACTIVITY_TTL: '2s' } });
    userId = await createUser(app.env, { email: 'ana@example.com' });
    setDatabase(await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stopFanout();
    await closeDatabase();
    await app?.dispose();
  });

  async function signedInPage(options: { reducedMotion?: 'reduce' | 'no-preference' } = {}): Promise<Page> {
    const context = await browser.newContext({ acceptDownloads: true, reducedMotion: options.reducedMotion ?? 'no-preference' });
    const page = await context.newPage();
    await signIn(page, { baseUrl: app.baseUrl, email: 'ana@example.com' });
    return page;
  }

  it('shows a message’s attachments as chips that download the file', async () => {
    const page = await signedInPage();
    const sent = await chatResponseService.sendConfirmation('task_chips', userId, 'Meeting booked', {}, undefined, {
      attachments: [{ filename: 'invite.ics', contentType: 'text/calendar; method=REQUEST', content: ICS }],
    });
    expect(sent.success).toBe(true);
    const chip = page.locator(`li[data-message-id="${sent.messageId}"] [data-testid="attachment-chip"]`);
    await expect.poll(() => chip.textContent(), { timeout: 15_000 }).toContain('invite.ics');
    const [download] = await Promise.all([page.waitForEvent('download'), chip.click()]);
    expect(download.suggestedFilename()).toBe('invite.ics');
    expect(fs.readFileSync((await download.path())!, 'utf8')).toBe(ICS);
    await page.context().close();
  });

  it('shows the agent’s activity under its task, then hides it after ACTIVITY_TTL, or at the task’s next message', async () => {
    const page = await signedInPage();
    await chatResponseService.sendSchedulingUpdate('task_live', userId, 'Processing your request...');
    const group = page.locator('[data-testid="run"]', {
      has: page.locator('li[data-message-id]', { hasText: 'Processing your request' }),
    });
    await expect.poll(() => group.count(), { timeout: 15_000 }).toBe(1);
    const activity = group.getByTestId('agent-activity');

    await chatResponseService.sendActivity({ userId, taskId: 'task_live', state: 'checking_availability' });
    await expect.poll(() => activity.textContent(), { timeout: 15_000 }).toBe('Checking availability…');
    expect(await activity.getAttribute('role')).toBe('status');
    // The pulse is animated for users who have not asked for reduced motion.
    expect(await activity.locator('span').evaluate((el) => getComputedStyle(el).animationName)).not.toBe('none');
    // Not refreshed: gone after the 2 s TTL.
    await expect.poll(() => activity.count(), { timeout: 10_000 }).toBe(0);

    await chatResponseService.sendActivity({ userId, taskId: 'task_live', state: 'booking' });
    await expect.poll(() => activity.textContent(), { timeout: 15_000 }).toBe('Booking…');
    await chatResponseService.sendConfirmation('task_live', userId, 'Meeting booked');
    await expect.poll(() => group.locator('li[data-type="CONFIRMATION"]').count(), { timeout: 15_000 }).toBe(1);
    expect(await activity.count()).toBe(0);
    await page.context().close();
  });

  it('keeps the label still for users who prefer reduced motion', async () => {
    const page = await signedInPage({ reducedMotion: 'reduce' });
    await chatResponseService.sendSchedulingUpdate('task_still', userId, 'Processing your request...');
    await expect.poll(() => page.locator('li[data-type="SCHEDULING_UPDATE"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await chatResponseService.sendActivity({ userId, taskId: 'task_still', state: 'thinking' });
    const activity = page.locator('[data-testid="agent-activity"][data-state="thinking"]');
    await expect.poll(() => activity.count(), { timeout: 15_000 }).toBe(1);
    expect(await activity.locator('span').evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
    await page.context().close();
  });
});
