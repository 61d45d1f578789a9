// The steps every browser test (e2e/*.spec.ts) takes: Chromium launched with the project's flags,
// users made by the operator CLI, the sign-in through the UI that opens the chat, and small readers
// of what the chat shows. Each step waits for a condition (expect.poll, waitForURL), never a time.
// Not a spec file: the e2e project runs only e2e/**/*.spec.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { runCli } from '@test/helpers/app-server';

export const CHROMIUM = '/usr/bin/chromium';
/** For describe.skipIf: no Chromium on this machine, and not in CI (where .ci/run installs it, so a missing one fails). */
export const noChromium = !fs.existsSync(CHROMIUM) && !process.env.CI;
/** For describe.skipIf: suites on PostgreSQL (the operator CLI sends while the app runs) need TEST_DATABASE_URL. */
export const noPostgres = !process.env.TEST_DATABASE_URL;

/** Every test user's password. */
export const PASSWORD = 'a long enough password';
/** Working hours that make any time of any day bookable. */
export const ALL_WEEK = JSON.stringify({ days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' });

/** Browser context options of the two screens the tests use; add timezoneId and the like. */
export const DESKTOP = { viewport: { width: 1200, height: 820 } } as const;
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;

const ARTIFACTS = fileURLToPath(new URL('./artifacts', import.meta.url));

/** The path of a screenshot named `name` in e2e/artifacts (ignored by git), which is made on first use. */
export function artifact(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** Headless Chromium with the project's flags; `extraArgs` for a suite's own (e.g. pusherHostMapping). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** Makes a user with PASSWORD through `npm run user:create` against the app's `env`; returns the user's id. */
export async function createUser(
  env: NodeJS.ProcessEnv,
  user: { email: string; timezone?: string; workingHours?: string },
): Promise<string> {
  const args = ['--email', user.email, '--password', PASSWORD];
  if (user.timezone) args.push('--timezone', user.timezone);
  if (user.workingHours) args.push('--working-hours', user.workingHours);
  const created = await runCli(env, 'user-create.ts', args);
  expect(created.code).toBe(0);
  return created.output.id as string;
}

/** What `npm run chat:send` prints. */
export interface ChatSendOutput {
  success: boolean;
  pusherSent: boolean;
  databaseStored: boolean;
  messageId: string;
}

/** Sends one message as the operator (`npm run chat:send`, type `info` unless given); it must exit 0. */
export async function chatSend(
  env: NodeJS.ProcessEnv,
  message: { user: string; content: string; type?: string; task?: string; priority?: string },
): Promise<ChatSendOutput> {
  const args = ['--user', message.user, '--type', message.type ?? 'info', '--content', message.content];
  if (message.task) args.push('--task', message.task);
  if (message.priority) args.push('--priority', message.priority);
  const sent = await runCli(env, 'chat-send.ts', args);
  expect(sent.code).toBe(0);
  return sent.output as unknown as ChatSendOutput;
}

/** The connection badge's text ("Live · stream", "Reconnecting…", ...). */
export const connectionText = (page: Page) => page.getByTestId('connection').textContent();

/** Which live to wait for: on any transport, or on the one the badge names. */
export type Live = 'any' | 'stream' | 'Pusher';

/** Waits until the chat is live (`data-state="live"`), or live over `live` as the badge says. */
export async function waitForLive(page: Page, live: Live = 'any', timeout = 20_000): Promise<void> {
  if (live === 'any') {
    await expect.poll(() => page.getByTestId('connection').getAttribute('data-state'), { timeout }).toBe('live');
  } else {
    await expect.poll(() => connectionText(page), { timeout }).toContain(`Live · ${live}`);
  }
}

/** Fills the sign-in form on the page (already on /login) and submits it. */
export async function submitSignIn(page: Page, credentials: { email: string; password?: string }): Promise<void> {
  await page.getByLabel('Email').fill(credentials.email);
  await page.getByLabel('Password').fill(credentials.password ?? PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Signs in through the UI and waits for the chat to be live. `from: 'chat'` opens the chat first and
 * checks it sends a signed-out visitor to /login; `from: 'login'` (the default) goes to /login directly.
 */
export async function signIn(
  page: Page,
  options: { baseUrl: string; email: string; from?: 'chat' | 'login'; live?: Live; timeout?: number },
): Promise<void> {
  const { baseUrl } = options;
  if (options.from === 'chat') {
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(/\/login/);
  } else {
    await page.goto(`${baseUrl}/login`);
  }
  await submitSignIn(page, { email: options.email });
  await page.waitForURL(`${baseUrl}/`);
  await waitForLive(page, options.live, options.timeout);
}

/** The message bodies on the page, in screen order. */
export async function messageContents(page: Page): Promise<string[]> {
  return page.locator('li[data-message-id]').evaluateAll((els) => els.map((el) => el.querySelector('p')?.textContent ?? ''));
}

/** The unread count in the header. */
export const unreadBadge = (page: Page) => page.getByTestId('unread-badge').textContent();
