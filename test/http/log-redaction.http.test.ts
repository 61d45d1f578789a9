import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { TEST_AUTH_SECRET, runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';

// What leaves the process in logs: with LOG_LEVEL=debug, failures inside PostgreSQL (forced by
// triggers the test installs, so they happen after every input rule has passed) are logged, but
// never with a password, a password hash, the auth secret, a session cookie or what a user wrote.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const PASSWORD = 'correct horse battery staple 42';
const SIGNUP_PASSWORD = 'another long secret passphrase 17';
const TASK_TEXT = 'lunch with the marker-task-5e1 board tomorrow at noon';
const SEND_TEXT = 'your marker-send-9b2 meeting is confirmed';

describe.skipIf(!hasPostgres)('logs (at LOG_LEVEL=debug, PostgreSQL failing on purpose)', () => {
  let app: AppServer;
  let database: Database;
  let browser: Browser;
  let userId: string;
  let cliLogs = '';

  beforeAll(async () => {
    app = await startApp({ kind: 'postgres', env: { LOG_LEVEL: 'debug' } });
    database = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' });
    setDatabase(database);
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'logged@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(0);
    userId = created.output.id as string;
    browser = new Browser(app.baseUrl);
    expect(await browser.signIn('logged@example.com', PASSWORD)).toBe(true);
    // Real database failures, whatever the input rules let through.
    await database.db.execute(
      sql.raw(`
      CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by a test trigger'; END $$;
      CREATE TRIGGER refuse_user BEFORE INSERT ON users FOR EACH ROW
        WHEN (NEW.name = 'marker-name-3c4') EXECUTE FUNCTION test_refuse();
      CREATE TRIGGER refuse_task BEFORE INSERT ON scheduling_agent_tasks FOR EACH ROW
        WHEN (NEW.request LIKE '%marker-task%') EXECUTE FUNCTION test_refuse();
      CREATE TRIGGER refuse_message BEFORE INSERT ON chat_messages FOR EACH ROW
        WHEN (NEW.content LIKE '%marker-send%') EXECUTE FUNCTION test_refuse();
    `),
    );
  });
  afterAll(async () => {
    await closeDatabase();
    await app?.dispose();
  });

  it('a sign-up failing in the database is a 500 whose log line holds no password, hash or email', async () => {
    const res = await new Browser(app.baseUrl).json('/api/users', {
      json: { email: 'marker-signup@example.com', password: SIGNUP_PASSWORD, name: 'marker-name-3c4' },
    });
    expect(res).toMatchObject({ status: 500, body: { error: { code: 'internal_error' } } });
  });

  it('a task failing in the database is a 500 whose log line holds no request text', async () => {
    const res = await browser.json('/api/scheduling-agent/tasks', { json: { request: TASK_TEXT } });
    expect(res).toMatchObject({ status: 500, body: { error: { code: 'internal_error' } } });
  });

  it('wrong and refused sign-ins log no password', async () => {
    expect(await new Browser(app.baseUrl).signIn('logged@example.com', `${PASSWORD}x`)).toBe(false);
    expect(await new Browser(app.baseUrl).signIn('logged@example.com', `${PASSWORD}\u0000`)).toBe(false);
  });

  it('a send failing in the database (npm run chat:send) logs no message content', async () => {
    const tsx = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
    const args = [tsx, path.join(ROOT, 'scripts/chat-send.ts'), '--user', userId, '--type', 'confirmation', '--content', SEND_TEXT];
    const result = await run(process.execPath, args, { env: { ...app.env, LOG_LEVEL: 'debug' }, cwd: ROOT }).then(
      (r) => ({ code: 0, ...r }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ success: false, databaseStored: false });
    cliLogs = result.stderr;
    expect(cliLogs).toMatch(/chat message could not be stored/);
  });

  it('the captured logs name the failures and hold none of the secrets or content', () => {
    const logs = `${app.logs()}\n${cliLogs}`;
    // The failures were logged (the assertions below are not about an empty log).
    expect(logs).toMatch(/unhandled error in route[\s\S]*unhandled error in route/);
    expect(logs).toMatch(/refused by a test trigger/);
    const cookie = browser.getCookie('next-auth.session-token')!;
    const forbidden = {
      password: PASSWORD,
      'sign-up password': SIGNUP_PASSWORD,
      'scrypt hash prefix': 'scrypt$',
      'argon2 hash prefix': '$argon2',
      NEXTAUTH_SECRET: TEST_AUTH_SECRET,
      'session cookie': cookie,
      'session cookie (start)': cookie.slice(0, 40),
      'task request': 'marker-task-5e1',
      'message content': 'marker-send-9b2',
      'sign-up name': 'marker-name-3c4',
      'sign-up email': 'marker-signup@example.com',
    };
    for (const [what, value] of Object.entries(forbidden)) {
      expect(logs.includes(value), `${what} appears in the logs`).toBe(false);
    }
  });
});
