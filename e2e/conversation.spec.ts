// Over 300 lines: its tests run in order on one app and share state (the ERROR test reads the
// conversation the booking test left), so they stay in one file.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppServer } from '@test/helpers/app-server';
import {
  ALL_WEEK,
  chatSend,
  createUser,
  DESKTOP,
  launchChromium,
  noChromium,
  PHONE,
  signIn as signInAs,
  submitSignIn,
  unreadBadge,
} from './support';

// The conversation as a user reads it, in Debian's Chromium against the built app on PostgreSQL
// (worker in-process, so the operator CLI can send messages while the app runs): the user's words
// and the agent's interleaved, choice buttons, one time format, no raw ids, and accessibility
// (axe-core, WCAG 2.1 AA) in every page and state. Screenshots go to /tmp, never into git.

const SHOTS = '/tmp/ui-screenshots';
const TZ = 'America/New_York';
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** The one format of every time in the chat: "Thu, Nov 26, 3:00 PM". */
const CHAT_TIME = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2} (AM|PM)$/;

interface Violation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2.1 A/AA rules over the page as it is now: the violations, summarised. */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations;
  });
  return violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** WCAG contrast ratio of two computed CSS colours ("rgb(r, g, b)" or "rgba(r, g, b, a)"; alpha ignored). */
function contrast(a: string, b: string): number {
  const luminance = (colour: string) => {
    const [red, green, blue] = (colour.match(/[\d.]+/g) ?? [])
      .slice(0, 3)
      .map((v) => Number(v) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * red! + 0.7152 * green! + 0.0722 * blue!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe.skipIf(noChromium)('the conversation in a real browser', () => {
  let app: AppServer;
  let browser: Browser;
  let desktop: BrowserContext;
  const userIds = new Map<string, string>();
  /** Every 404 and console error of every page: a missing favicon shows up here. */
  const problems: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    app = await startApp({ kind: 'postgres', env: { RUN_WORKER_IN_PROCESS: 'true' } });
    for (const email of ['cara@example.com', 'dev@example.com']) {
      userIds.set(email, await createUser(app.env, { email, timezone: TZ, workingHours: ALL_WEEK }));
    }
    browser = await launchChromium();
    desktop = await browser.newContext({ ...DESKTOP, timezoneId: TZ });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  async function open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('response', (r) => r.status() === 404 && problems.push(`404 ${r.url()}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    // Everything the page ever puts on screen, however briefly (a raw id while loading counts).
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { seenText: string[] }).seenText = seen;
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.type === 'characterData') seen.push(r.target.textContent ?? '');
          r.addedNodes.forEach((n) => seen.push(n.textContent ?? ''));
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    return page;
  }

  const signIn = (page: Page, email: string) => signInAs(page, { baseUrl: app.baseUrl, email });

  /** The conversation in screen order: "you: …" and "<TYPE>: …". */
  async function conversation(page: Page): Promise<string[]> {
    return page.locator('[data-testid="user-message"], [data-testid="agent-message"]').evaluateAll((els) =>
      els.map((el) => {
        const text = el.querySelector('[data-testid="message-content"]')?.textContent ?? '';
        return el.getAttribute('data-testid') === 'user-message' ? `you: ${text}` : `${(el as HTMLElement).dataset.type}: ${text}`;
      }),
    );
  }

  const announcements = (page: Page) => page.getByTestId('announcements').locator('p').allTextContents();
  const activeElement = (page: Page) => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || '');
  const confirmations = (page: Page) => page.locator('li[data-type="CONFIRMATION"]').count();

  async function send(page: Page, text: string) {
    await page.getByRole('textbox').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  }

  it('sign-in and sign-up pages have no WCAG 2.1 AA violations, and the site has a favicon', async () => {
    const page = await open(desktop);
    await page.goto(`${app.baseUrl}/login`);
    expect(await axeViolations(page)).toEqual([]);
    await submitSignIn(page, { email: 'cara@example.com', password: 'wrong password' });
    await page.locator('form [role="alert"]').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.goto(`${app.baseUrl}/register`);
    expect(await axeViolations(page)).toEqual([]);
    const icon = await page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href ?? '');
    expect(icon).toContain('/icon.svg');
    expect((await fetch(icon)).status).toBe(200);
    await page.screenshot({ path: `${SHOTS}/login-errors.png` });
    expect(problems.filter((p) => !p.startsWith('console: Failed to load resource: the server responded with a status of 401'))).toEqual(
      [],
    );
    await page.close();
  });

  it("shows the user's words and the agent's interleaved, books by button and by typing, and announces only new messages", async () => {
    const page = await open(desktop);
    await signIn(page, 'cara@example.com');
    await page.getByLabel('Mark read when seen').uncheck();
    await expect.poll(() => page.getByText('No messages yet').count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    expect(await announcements(page)).toEqual([]);

    // A plain booking; focus stays in the message box after Send.
    await send(page, 'book 30 min with Dana tomorrow at 3pm');
    await expect.poll(() => activeElement(page)).toBe('composer-input');
    await expect.poll(() => confirmations(page), { timeout: 30_000 }).toBe(1);
    // Announced: each of the agent's messages once, as it arrived; and the unread count.
    await expect
      .poll(() => announcements(page))
      .toEqual([
        'Update: Processing your request...',
        'Update: Checking availability...',
        expect.stringMatching(/^Confirmed: Meeting scheduled: Meeting with Dana, .* \(30 min\)$/),
      ]);
    await expect.poll(() => page.getByTestId('unread-announcement').textContent()).toBe('3 unread messages');

    // The same time is taken: the agent offers free times as buttons; the first one books.
    await send(page, 'book 30 min with Lee tomorrow at 3pm');
    const offer = page.locator('li[data-message-id]:has([data-testid="choices"])').nth(0);
    await expect.poll(() => offer.getByTestId('choices').getAttribute('data-open'), { timeout: 30_000 }).toBe('true');
    const firstChoice = offer.getByRole('button').first();
    const firstLabel = (await firstChoice.textContent())!;
    expect(firstLabel).toMatch(/, \d{1,2}:\d{2} (AM|PM)$/);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/desktop-offer.png` });
    await firstChoice.click();
    await expect.poll(() => activeElement(page)).toBe('composer-input');
    await expect.poll(() => confirmations(page), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => offer.getByTestId('choices').getAttribute('data-open')).toBe('false');
    expect(await offer.getByRole('button', { pressed: true }).textContent()).toContain(firstLabel);
    expect(await offer.getByRole('button', { disabled: false }).count()).toBe(0);
    const booked = (await page.locator('li[data-type="CONFIRMATION"]').last().getByTestId('message-content').textContent())!;
    expect(booked).toContain(`Meeting with Lee, ${firstLabel} (30 min)`);

    // Typed answers still work: "the second one" books the second offered time.
    await send(page, 'book 30 min with Kim tomorrow at 3pm');
    const typedOffer = page.locator('li[data-message-id]:has([data-testid="choices"])').nth(1);
    await expect.poll(() => typedOffer.getByTestId('choices').getAttribute('data-open'), { timeout: 30_000 }).toBe('true');
    const secondLabel = (await typedOffer.getByRole('button').nth(1).textContent())!;
    await send(page, 'the second one');
    await expect.poll(() => confirmations(page), { timeout: 30_000 }).toBe(3);
    await expect.poll(() => typedOffer.getByTestId('choices').getAttribute('data-open')).toBe('false');
    // The typed answer marks the button of what the agent booked.
    expect(await typedOffer.getByRole('button', { pressed: true }).textContent()).toContain(secondLabel);
    expect(await page.locator('li[data-type="CONFIRMATION"]').last().getByTestId('message-content').textContent()).toContain(
      `Meeting with Kim, ${secondLabel} (30 min)`,
    );

    // One time order, the user's words on their side: request, the agent's answers, the reply, ...
    const said = await conversation(page);
    expect(said).toEqual([
      'you: book 30 min with Dana tomorrow at 3pm',
      'SCHEDULING_UPDATE: Processing your request...',
      'SCHEDULING_UPDATE: Checking availability...',
      expect.stringMatching(/^CONFIRMATION: Meeting scheduled: Meeting with Dana/),
      'you: book 30 min with Lee tomorrow at 3pm',
      'SCHEDULING_UPDATE: Processing your request...',
      'SCHEDULING_UPDATE: Checking availability...',
      expect.stringMatching(/^INFO: .*is taken.*Free times: 1\)/),
      `you: ${firstLabel}`,
      'SCHEDULING_UPDATE: Processing your request...',
      expect.stringMatching(/^CONFIRMATION: Meeting scheduled: Meeting with Lee/),
      'you: book 30 min with Kim tomorrow at 3pm',
      'SCHEDULING_UPDATE: Processing your request...',
      'SCHEDULING_UPDATE: Checking availability...',
      expect.stringMatching(/^INFO: .*is taken.*Free times: 1\)/),
      'you: the second one',
      'SCHEDULING_UPDATE: Processing your request...',
      expect.stringMatching(/^CONFIRMATION: Meeting scheduled: Meeting with Kim/),
    ]);
    const mine = await page.getByTestId('user-message').first().boundingBox();
    const theirs = await page.getByTestId('agent-message').first().boundingBox();
    expect(mine!.x + mine!.width).toBeGreaterThan(theirs!.x + theirs!.width);
    // One task, one light group: three tasks make three runs, none with a card header.
    expect(await page.getByTestId('run').count()).toBe(3);

    // One time format everywhere: each stamp, and the times inside the agent's words.
    const stamps = await page.getByTestId('message-time').allTextContents();
    expect(stamps.length).toBe(said.length);
    for (const stamp of stamps) expect(stamp).toMatch(CHAT_TIME);
    for (const line of said) {
      expect(line).not.toMatch(/\d{4}-\d{2}-\d{2}/);
      expect(line).not.toMatch(/\b\d{2}:\d{2}\b(?! ?(AM|PM))/);
    }

    // Mark all read keeps the focus on the button, and the new count is announced.
    await page.getByRole('button', { name: 'Mark all read' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => unreadBadge(page)).toBe('0');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Mark all read');
    await expect.poll(() => page.getByTestId('unread-announcement').textContent()).toBe('0 unread messages');
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/desktop-conversation.png`, fullPage: true });

    // The task ids were never on screen, not even for a moment while loading.
    const taskIds = await page.evaluate(async () =>
      ((await (await fetch('/api/scheduling-agent/tasks')).json()) as { tasks: { id: string }[] }).tasks.map((t) => t.id),
    );
    expect(taskIds.length).toBe(3);
    const seen = await page.evaluate(() => (window as unknown as { seenText: string[] }).seenText.join('\n'));
    for (const id of taskIds) expect(seen).not.toContain(id);

    // A reload pours the history in: nothing is announced, and the order is the same.
    await page.reload();
    await expect.poll(() => page.getByTestId('user-message').count(), { timeout: 20_000 }).toBe(5);
    expect(await conversation(page)).toEqual(said);
    expect(await announcements(page)).toEqual([]);
    const afterReload = await page.evaluate(() => (window as unknown as { seenText: string[] }).seenText.join('\n'));
    for (const id of taskIds) expect(afterReload).not.toContain(id);

    // The task's history dialog is accessible too.
    await page.getByRole('button', { name: 'History of “book 30 min with Lee tomorrow at 3pm”' }).click();
    const dialog = page.getByRole('dialog', { name: 'Task history' });
    await expect.poll(() => dialog.locator('li').count()).toBe(5);
    for (const stamp of await dialog.getByTestId('message-time').allTextContents()) expect(stamp).toMatch(CHAT_TIME);
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.close();
  }, 240_000);

  it('shows an ERROR as a message of the log, announced once when it arrives and never again on load', async () => {
    const page = await open(desktop);
    await signIn(page, 'cara@example.com');
    await expect.poll(() => page.getByTestId('user-message').count(), { timeout: 20_000 }).toBe(5);
    const sent = await chatSend(app.env, {
      user: userIds.get('cara@example.com')!,
      type: 'error',
      content: 'The calendar could not be reached',
    });
    expect(sent).toMatchObject({ success: true });
    await expect.poll(() => announcements(page), { timeout: 20_000 }).toEqual(['Error: The calendar could not be reached']);
    expect(await page.locator('li[data-type="ERROR"]').count()).toBe(1);
    expect(await page.locator('[role="alert"]:not(:empty)').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/desktop-error.png` });

    await page.reload();
    await page.locator('li[data-type="ERROR"]').waitFor({ timeout: 20_000 });
    expect(await announcements(page)).toEqual([]);
    expect(await page.locator('[role="alert"]:not(:empty)').count()).toBe(0);
    expect(
      await page.locator('[aria-live], [role="log"], [role="status"], [role="alert"]').evaluateAll((els) => els.map((el) => el.tagName)),
    ).not.toContain('MAIN');
    await page.close();
  }, 120_000);

  it('draws the focus ring and the control borders at 3:1 or more against what is around them', async () => {
    const page = await open(desktop);
    await page.goto(`${app.baseUrl}/login`);
    await page.getByLabel('Email').focus();
    await page.keyboard.press('Tab'); // onto Password, by keyboard, so its ring shows
    const signInColours = await page.evaluate(() => {
      const input = document.activeElement as HTMLElement;
      return {
        focused: input.getAttribute('type'),
        around: getComputedStyle(input.closest('form')!).backgroundColor,
        inputBorder: getComputedStyle(input).borderTopColor,
        focusRing: getComputedStyle(input).outlineColor,
      };
    });
    expect(signInColours.focused).toBe('password');
    expect(contrast(signInColours.inputBorder, signInColours.around)).toBeGreaterThanOrEqual(3);
    expect(contrast(signInColours.focusRing, signInColours.around)).toBeGreaterThanOrEqual(3);

    await signIn(page, 'dev@example.com');
    await page.getByRole('textbox').focus();
    await page.keyboard.press('Tab'); // onto Send, by keyboard, so its ring shows
    const colours = await page.evaluate(() => {
      const input = document.getElementById('composer-input')!;
      const send = document.activeElement as HTMLElement;
      return {
        focused: send.textContent,
        around: getComputedStyle(input.closest('footer')!).backgroundColor,
        inputBorder: getComputedStyle(input).borderTopColor,
        focusRing: getComputedStyle(send).outlineColor,
        toolbarButtonBorder: getComputedStyle(document.querySelector('header button')!).borderTopColor,
      };
    });
    expect(colours.focused).toBe('Send');
    expect(contrast(colours.inputBorder, colours.around)).toBeGreaterThanOrEqual(3);
    expect(contrast(colours.focusRing, colours.around)).toBeGreaterThanOrEqual(3);
    expect(contrast(colours.toolbarButtonBorder, colours.around)).toBeGreaterThanOrEqual(3);
    await page.close();
  });

  it('on a phone: the read-when-seen toggle is usable, Send keeps the focus, nothing overflows, no violations', async () => {
    const phone = await browser.newContext({ ...PHONE, timezoneId: TZ });
    const page = await open(phone);
    await signIn(page, 'dev@example.com');
    expect(await axeViolations(page)).toEqual([]);
    const toggle = page.getByLabel('Mark read when seen');
    expect(await toggle.isVisible()).toBe(true);
    await toggle.tap();
    expect(await toggle.isChecked()).toBe(false);
    await toggle.tap();
    expect(await toggle.isChecked()).toBe(true);

    await page.getByRole('textbox').fill('book lunch with Priya');
    await page.getByRole('button', { name: 'Send' }).tap();
    await expect.poll(() => activeElement(page)).toBe('composer-input');
    await page.locator('li[data-type="CLARIFICATION"]').waitFor({ timeout: 30_000 });
    await send(page, 'tomorrow at 1pm');
    await expect.poll(() => confirmations(page), { timeout: 30_000 }).toBe(1);
    expect(await conversation(page)).toEqual([
      'you: book lunch with Priya',
      'SCHEDULING_UPDATE: Processing your request...',
      expect.stringMatching(/^CLARIFICATION: /),
      'you: tomorrow at 1pm',
      'SCHEDULING_UPDATE: Processing your request...',
      'SCHEDULING_UPDATE: Checking availability...',
      expect.stringMatching(/^CONFIRMATION: Meeting scheduled: .*, 1:00 PM \(\d.*\)$/),
    ]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/phone-conversation.png`, fullPage: true });
    await phone.close();
  }, 120_000);
});
