import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { createUser, launchChromium, noChromium, signIn } from './support';

/** Well under the streams' periodic session re-check (60 s): only the sign-out's announcement is this fast. */
const PROMPT_MS = 20_000;

// A chat tab whose session is signed out in another tab leaves the chat for /login at once: its
// open stream gets `session-ended` instead of carrying on delivering (or reconnecting in a loop).
describe.skipIf(noChromium)('a signed-out tab in a real browser', () => {
  let app: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    app = await startApp({
      kind: 'pglite',
      beforeStart: async (env) => {
        await createUser(env, { email: 'out@example.com' });
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  it('the chat of a tab whose session was signed out elsewhere goes to the sign-in page', async () => {
    const context = await browser.newContext();
    const chat = await context.newPage();
    await signIn(chat, { baseUrl: app.baseUrl, email: 'out@example.com', from: 'chat', live: 'stream' });

    // Another tab of the same browser signs out (the same session), the way NextAuth's signOut does.
    const other = await context.newPage();
    await other.goto(`${app.baseUrl}/login`);
    const status = await other.evaluate(async () => {
      const { csrfToken } = (await (await fetch('/api/auth/csrf')).json()) as { csrfToken: string };
      const response = await fetch('/api/auth/signout', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrfToken, json: 'true' }),
      });
      return response.status;
    });
    expect(status).toBe(200);

    await chat.waitForURL(/\/login/, { timeout: PROMPT_MS });
    await context.close();
  });
});
