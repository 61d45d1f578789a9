import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@/lib/db/client';
import { API_OPERATIONS, type ApiOperation } from '@/lib/openapi/document';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { DATABASE_KINDS, queryRows } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';
import { startWorkerProcess } from '@test/helpers/worker-process';

// Sessions end on the server: sign-out, a password change and account deletion revoke them, on
// every instance, and a deleted account leaves no row behind. Through the built app over HTTP.

const PASSWORD = 'a long enough password';
const NEW_PASSWORD = 'another long enough password';
const TZ = 'America/New_York';
const COOKIE = 'next-auth.session-token';
/** How long another instance may keep honouring a revoked session (README, "Sessions"), plus slack for a loaded machine. */
const REVOCATION_BOUND_MS = 4_000;
/** Tests that look at PGlite's rows stop and restart the app (PGlite has one process); that is slow on a loaded machine. */
const RESTARTS_TIMEOUT_MS = 240_000;

/** "Dec 3"-style date of the next weekday at least two days ahead in TZ, so 3pm is inside working hours. */
function nextWeekday(): string {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: TZ, weekday: 'short', month: 'short', day: 'numeric' });
  for (let days = 2; ; days++) {
    const parts = Object.fromEntries(fmt.formatToParts(new Date(Date.now() + days * 86_400_000)).map((p) => [p.type, p.value]));
    if (parts.weekday !== 'Sat' && parts.weekday !== 'Sun') return `${parts.month} ${parts.day}`;
  }
}

/** Signs the users up over HTTP (a CLI per user would open PGlite once each). */
async function createUsers(baseUrl: string, emails: string[]): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const email of emails) {
    const created = await new Browser(baseUrl).json<{ user: { id: string } }>('/api/users', { json: { email, password: PASSWORD } });
    expect(created.status).toBe(201);
    ids[email] = created.body.user.id;
  }
  return ids;
}

/** A browser that carries only `cookie` as its session: what someone who kept the cookie can do. */
function browserWithCookie(baseUrl: string, cookie: string): Browser {
  const browser = new Browser(baseUrl);
  browser.setCookie(COOKIE, cookie);
  return browser;
}

async function signedIn(baseUrl: string, email: string, password = PASSWORD): Promise<Browser> {
  const browser = new Browser(baseUrl);
  expect(await browser.signIn(email, password)).toBe(true);
  return browser;
}

async function signOut(browser: Browser): Promise<void> {
  const csrf = await browser.json<{ csrfToken: string }>('/api/auth/csrf');
  const response = await browser.fetch('/api/auth/signout', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrfToken: csrf.body.csrfToken, json: 'true' }),
  });
  await response.arrayBuffer();
}

/** One request to a documented operation, with placeholder params and an empty JSON body. */
function call(browser: Browser, op: ApiOperation): Promise<Response> {
  const pathname = op.path.replace(/\{(\w+)\}/g, 'x');
  if (op.method === 'get') return browser.fetch(pathname);
  return browser.fetch(pathname, { method: op.method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: '{}' });
}

/** What /api/auth/session says for this browser: the user, and whether it handed out a new session token. */
async function sessionOf(browser: Browser): Promise<{ user: unknown; freshToken: boolean }> {
  const response = await browser.fetch('/api/auth/session');
  const body = (await response.json()) as { user?: unknown };
  const freshToken = response.headers.getSetCookie().some((line) => line.startsWith(`${COOKIE}=`) && !/max-age=0/i.test(line));
  return { user: body.user ?? null, freshToken };
}

/** Every row of the user in every table: each public table with a "userId" column, the user, and rate-limit rows naming them. */
async function rowsOf(database: Database, user: { id: string; email: string }): Promise<Record<string, number>> {
  const tables = await queryRows<{ table_name: string }>(
    database,
    sql`SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'userId' ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const [row] = await queryRows<{ n: number }>(
      database,
      sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} WHERE "userId" = ${user.id}`,
    );
    counts[table] = row!.n;
  }
  const [users] = await queryRows<{ n: number }>(database, sql`SELECT count(*)::int AS n FROM users WHERE id = ${user.id}`);
  counts.users = users!.n;
  const [limits] = await queryRows<{ n: number }>(
    database,
    sql`SELECT count(*)::int AS n FROM rate_limits WHERE position(${user.id} in key) > 0 OR position(${user.email} in key) > 0`,
  );
  counts.rate_limits = limits!.n;
  return counts;
}

const zeroes = (counts: Record<string, number>) => Object.fromEntries(Object.keys(counts).map((k) => [k, 0]));

describe.each(DATABASE_KINDS)('sessions and accounts over HTTP on %s', (kind) => {
  let app: AppServer;
  let ids: Record<string, string> = {};
  let postgres: Database | undefined;

  /** Runs `fn` on the app's database: PostgreSQL alongside the app, PGlite while the app is stopped (it holds the only lock). */
  async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
    if (postgres) return fn(postgres);
    await app.stop();
    const database = await openDatabase({ pgliteDir: app.env.PGLITE_DIR! });
    try {
      return await fn(database);
    } finally {
      await database.close();
      await app.restart();
    }
  }

  /** Runs an operator CLI against the app's database (on PGlite while the app is stopped). */
  async function operatorCli(script: string, args: string[]): Promise<{ code: number; output: Record<string, unknown> }> {
    if (kind === 'postgres') return runCli(app.env, script, args);
    await app.stop();
    try {
      return await runCli(app.env, script, args);
    } finally {
      await app.restart();
    }
  }

  async function settle(browser: Browser, taskId: string): Promise<{ status: string }> {
    return waitFor(async () => {
      const { body } = await browser.json<{ status: string }>(`/api/scheduling-agent/tasks/${taskId}`);
      return ['COMPLETED', 'WAITING_FOR_USER', 'FAILED'].includes(body.status) ? body : undefined;
    }, `task ${taskId}`);
  }

  /** Gives the user a booked meeting: a task, its chat messages (and position counter) and a calendar event. */
  async function bookMeeting(browser: Browser): Promise<void> {
    const submitted = await browser.json<{ taskId: string }>('/api/scheduling-agent/tasks', {
      json: { request: `book 30 min with Dana on ${nextWeekday()} at 3pm`, timezone: TZ },
    });
    expect(submitted.status).toBe(202);
    expect((await settle(browser, submitted.body.taskId)).status).toBe('COMPLETED');
  }

  beforeAll(async () => {
    const emails = ['out@example.com', 'pw@example.com', 'gone@example.com', 'keep@example.com', 'cli@example.com'];
    app = await startApp({ kind, env: { RUN_WORKER_IN_PROCESS: 'true' } });
    ids = await createUsers(app.baseUrl, emails);
    if (kind === 'postgres') postgres = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' });
  });
  afterAll(async () => {
    await postgres?.close();
    await app?.dispose();
  });

  it('signing out ends the session: the old cookie is 401 on every API route, /api/auth/session names no one, pages go to /login', async () => {
    const browser = await signedIn(app.baseUrl, 'out@example.com');
    const cookie = browser.getCookie(COOKIE)!;
    const kept = browserWithCookie(app.baseUrl, cookie);
    expect((await kept.json('/api/chat-messages')).status).toBe(200);
    expect((await sessionOf(kept)).user).toMatchObject({ id: ids['out@example.com'] });

    await signOut(browser);
    expect(browser.getCookie(COOKIE)).toBeUndefined();

    const sessionOps = API_OPERATIONS.filter((op) => op.auth === 'session');
    expect(sessionOps.length).toBeGreaterThan(10);
    for (const op of sessionOps) {
      const replay = browserWithCookie(app.baseUrl, cookie);
      const response = await call(replay, op);
      expect(response.status, `${op.method} ${op.path}`).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    expect(await sessionOf(browserWithCookie(app.baseUrl, cookie))).toEqual({ user: null, freshToken: false });
    const page = await browserWithCookie(app.baseUrl, cookie).fetch('/');
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toMatch(/\/login$/);
  });

  it('changing the password ends every other session of the user and keeps the one that changed it', async () => {
    const changer = await signedIn(app.baseUrl, 'pw@example.com');
    const other = await signedIn(app.baseUrl, 'pw@example.com');

    const wrong = await changer.json('/api/users/me/password', {
      json: { currentPassword: 'not the password', newPassword: NEW_PASSWORD },
    });
    expect(wrong.status).toBe(403);
    expect((await other.json('/api/chat-messages')).status).toBe(200);

    const changed = await changer.json('/api/users/me/password', { json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(changed).toMatchObject({ status: 200, body: { ok: true } });

    expect((await other.json('/api/chat-messages')).status).toBe(401);
    expect((await sessionOf(other)).user).toBeNull();
    expect((await changer.json('/api/chat-messages')).status).toBe(200);
    expect((await sessionOf(changer)).user).toMatchObject({ id: ids['pw@example.com'] });
    expect(await new Browser(app.baseUrl).signIn('pw@example.com', PASSWORD)).toBe(false);
    expect(await new Browser(app.baseUrl).signIn('pw@example.com', NEW_PASSWORD)).toBe(true);
  });

  it(
    'deleting the account needs the password: a wrong one is 403 and deletes nothing',
    async () => {
      const browser = await signedIn(app.baseUrl, 'gone@example.com');
      await bookMeeting(browser);
      const user = { id: ids['gone@example.com']!, email: 'gone@example.com' };
      const before = await withDatabase((db) => rowsOf(db, user));

      for (const body of [{ password: 'not the password' }, {}]) {
        const refused = await browser.json<{ error: { code: string } }>('/api/users/me', { method: 'DELETE', json: body });
        expect([400, 403]).toContain(refused.status);
      }
      expect((await browser.json('/api/chat-messages')).status).toBe(200);
      const after = await withDatabase((db) => rowsOf(db, user));
      // Only the rate-limit rows may move (the refused requests spent budget).
      expect({ ...after, rate_limits: 0 }).toEqual({ ...before, rate_limits: 0 });
    },
    RESTARTS_TIMEOUT_MS,
  );

  it(
    "deleting the account removes every row of the user, ends all their sessions, and leaves others' rows alone",
    async () => {
      const keeper = await signedIn(app.baseUrl, 'keep@example.com');
      await bookMeeting(keeper);
      const bystander = { id: ids['keep@example.com']!, email: 'keep@example.com' };
      const user = { id: ids['gone@example.com']!, email: 'gone@example.com' };

      const deleter = await signedIn(app.baseUrl, 'gone@example.com');
      const elsewhere = await signedIn(app.baseUrl, 'gone@example.com');
      const [before, bystanderBefore] = await withDatabase(async (db) => [await rowsOf(db, user), await rowsOf(db, bystander)]);
      for (const table of ['users', 'user_sessions', 'chat_messages', 'chat_user_cursors', 'scheduling_agent_tasks', 'calendar_events']) {
        expect(before[table], table).toBeGreaterThan(0);
      }
      if (kind === 'postgres') expect(before.rate_limits).toBeGreaterThan(0);
      const deleted = await deleter.json('/api/users/me', { method: 'DELETE', json: { password: PASSWORD } });
      expect(deleted).toMatchObject({ status: 200, body: { deleted: true } });

      for (const browser of [deleter, elsewhere]) {
        expect((await browser.json('/api/chat-messages')).status).toBe(401);
        expect((await browser.json('/api/scheduling-agent/tasks', { json: { request: 'book a call tomorrow at 3pm' } })).status).toBe(401);
        expect((await sessionOf(browser)).user).toBeNull();
      }
      const [after, bystanderAfter] = await withDatabase(async (db) => [await rowsOf(db, user), await rowsOf(db, bystander)]);
      expect(after).toEqual(zeroes(after));
      expect({ ...bystanderAfter, rate_limits: 0, user_sessions: 0 }).toEqual({ ...bystanderBefore, rate_limits: 0, user_sessions: 0 });
      // (Last: a sign-in attempt for the address spends a budget keyed by it, a row that is no one's data.)
      expect(await new Browser(app.baseUrl).signIn(user.email, PASSWORD)).toBe(false);
    },
    RESTARTS_TIMEOUT_MS,
  );

  it(
    'user:delete removes an account by email, prints JSON, and its cookies are 401 from then on',
    async () => {
      const browser = await signedIn(app.baseUrl, 'cli@example.com');
      const cookie = browser.getCookie(COOKIE)!;
      const deleted = await operatorCli('user-delete.ts', ['--email', 'CLI@example.com']);
      expect(deleted).toMatchObject({ code: 0, output: { deleted: true, id: ids['cli@example.com'], email: 'cli@example.com' } });
      await waitFor(
        async () => ((await browserWithCookie(app.baseUrl, cookie).json('/api/chat-messages')).status === 401 ? true : undefined),
        'the deleted user to be refused',
        REVOCATION_BOUND_MS,
      );
      expect((await sessionOf(browserWithCookie(app.baseUrl, cookie))).user).toBeNull();
      const again = await operatorCli('user-delete.ts', ['--email', 'cli@example.com']);
      expect(again.code).toBe(1);
      expect(again.output.error).toMatch(/no user/i);
    },
    RESTARTS_TIMEOUT_MS,
  );
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('two app instances on one PostgreSQL', () => {
  let first: AppServer;
  let second: AppServer;
  let database: Database;
  let ids: Record<string, string>;

  beforeAll(async () => {
    first = await startApp({ kind: 'postgres' });
    second = await startApp({ kind: 'postgres', env: { DATABASE_URL: first.env.DATABASE_URL! } });
    ids = await createUsers(first.baseUrl, ['twin@example.com', 'twin-pw@example.com', 'jobs@example.com']);
    database = await openDatabase({ databaseUrl: first.env.DATABASE_URL, pgliteDir: 'unused' });
  });
  afterAll(async () => {
    await database?.close();
    await second?.dispose();
    await first?.dispose();
  });

  /** Polls until the cookie is refused on `app`, failing if that takes longer than the documented bound. */
  async function refusedWithinBound(app: AppServer, cookie: string): Promise<void> {
    await waitFor(
      async () => ((await browserWithCookie(app.baseUrl, cookie).json('/api/chat-messages')).status === 401 ? true : undefined),
      `the revoked session to be refused on ${app.baseUrl}`,
      REVOCATION_BOUND_MS,
    );
  }

  it('a sign-out on one instance ends the session on the other', async () => {
    const browser = await signedIn(first.baseUrl, 'twin@example.com');
    const cookie = browser.getCookie(COOKIE)!;
    expect((await browserWithCookie(second.baseUrl, cookie).json('/api/chat-messages')).status).toBe(200);
    await signOut(browser);
    await refusedWithinBound(second, cookie);
    expect((await sessionOf(browserWithCookie(second.baseUrl, cookie))).user).toBeNull();
  });

  it("a password change on one instance ends the user's other sessions on the other", async () => {
    const changer = await signedIn(first.baseUrl, 'twin-pw@example.com');
    const other = await signedIn(second.baseUrl, 'twin-pw@example.com');
    expect((await other.json('/api/chat-messages')).status).toBe(200);
    const changed = await changer.json('/api/users/me/password', { json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(changed.status).toBe(200);
    await refusedWithinBound(second, other.getCookie(COOKIE)!);
    expect((await changer.json('/api/chat-messages')).status).toBe(200);
  });

  it("a queued job of a deleted user's task ends quietly and stores nothing", async () => {
    const user = { id: ids['jobs@example.com']!, email: 'jobs@example.com' };
    const browser = await signedIn(first.baseUrl, user.email);
    const submitted = await browser.json<{ taskId: string }>('/api/scheduling-agent/tasks', {
      json: { request: `book 30 min with Dana on ${nextWeekday()} at 3pm`, timezone: TZ },
    });
    expect(submitted.status).toBe(202);
    // Neither instance runs a worker, so the job waits in pg-boss while the account goes.
    expect((await browser.json('/api/users/me', { method: 'DELETE', json: { password: PASSWORD } })).status).toBe(200);

    const worker = startWorkerProcess(first.env);
    try {
      const job = await waitFor(async () => {
        const [row] = await queryRows<{ state: string }>(
          database,
          sql`SELECT state FROM pgboss.job WHERE name = 'scheduling-agent' AND data->>'taskId' = ${submitted.body.taskId}`,
        );
        return row && ['completed', 'failed', 'cancelled'].includes(row.state) ? row.state : undefined;
      }, 'the job of the deleted task to end');
      expect(job).toBe('completed');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    const rows = await rowsOf(database, user);
    expect(rows).toEqual(zeroes(rows));
  });
});
