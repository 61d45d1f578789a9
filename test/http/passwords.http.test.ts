import { randomBytes, scryptSync } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { queryRows } from '@test/helpers/test-db';

// Password rules at sign-up and the stored hash: argon2id at OWASP's parameters, and hashes of
// the previous format (scrypt N=2^15) upgraded at the next successful sign-in.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

const ARGON2ID_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

/** A hash in the format the app wrote before argon2id: `scrypt$N$r$p$salt$key` with N=2^15. */
function legacyScryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 64, { N: 32_768, r: 8, p: 1, maxmem: 128 * 32_768 * 8 * 2 });
  return ['scrypt', 32_768, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

describe.skipIf(!hasPostgres)('passwords (PostgreSQL)', () => {
  let app: AppServer;
  let database: Database;

  async function users(): Promise<string> {
    return JSON.stringify(await queryRows(database, sql`SELECT id, email, "passwordHash" FROM users ORDER BY id`));
  }
  async function storedHash(email: string): Promise<string> {
    const [row] = await queryRows<{ passwordHash: string }>(database, sql`SELECT "passwordHash" FROM users WHERE email = ${email}`);
    return row!.passwordHash;
  }

  beforeAll(async () => {
    app = await startApp({ kind: 'postgres' });
    database = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' });
    setDatabase(database);
  });
  afterAll(async () => {
    await closeDatabase();
    await app?.dispose();
  });

  it.each([
    ['seven characters', 'abc1234'],
    ['eight spaces', '        '],
    ['whitespace of every kind', ' \t\n\r\u00a0\u2003   '],
    ['a most common password', 'password'],
    ['a common password in another case', 'PassWord1'],
    ['a common all-digit password', '12345678'],
    ['a common keyboard walk', 'QWERTYUIOP'],
  ])('sign-up refuses %s as the password, naming the field, and stores nothing', async (_name, password) => {
    const before = await users();
    const res = await new Browser(app.baseUrl).json('/api/users', { json: { email: 'weak@example.com', password } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_input', message: expect.stringContaining('password') } });
    expect(await users()).toBe(before);
  });

  it('user:create refuses a common password too', async () => {
    const { code } = await runCli(app.env, 'user-create.ts', ['--email', 'cli-weak@example.com', '--password', 'iloveyou']);
    expect(code).not.toBe(0);
    expect(await queryRows(database, sql`SELECT id FROM users WHERE email = 'cli-weak@example.com'`)).toEqual([]);
  });

  it("a new user's password is stored as argon2id (m=19 MiB, t=2, p=1) and signs in", async () => {
    const res = await new Browser(app.baseUrl).json('/api/users', {
      json: { email: 'fresh@example.com', password: 'correct horse battery' },
    });
    expect(res.status).toBe(201);
    expect(await storedHash('fresh@example.com')).toMatch(
      new RegExp(`^${ARGON2ID_PREFIX.replace(/\$/g, '\\$')}[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+$`),
    );
    expect(await new Browser(app.baseUrl).signIn('fresh@example.com', 'correct horse battery')).toBe(true);
    expect(await new Browser(app.baseUrl).signIn('fresh@example.com', 'correct horse battery!')).toBe(false);
  });

  it('an older scrypt hash signs in and is upgraded to argon2id at that sign-in; a wrong password changes nothing', async () => {
    const legacy = legacyScryptHash('old but good password');
    await database.db.execute(sql`INSERT INTO users (id, email, "passwordHash") VALUES ('legacy-user', 'legacy@example.com', ${legacy})`);

    expect(await new Browser(app.baseUrl).signIn('legacy@example.com', 'not the password')).toBe(false);
    expect(await storedHash('legacy@example.com')).toBe(legacy);

    const browser = new Browser(app.baseUrl);
    expect(await browser.signIn('legacy@example.com', 'old but good password')).toBe(true);
    expect((await browser.json('/api/chat-messages/unread-count')).status).toBe(200);
    const upgraded = await storedHash('legacy@example.com');
    expect(upgraded.startsWith(ARGON2ID_PREFIX)).toBe(true);

    // The upgraded hash is the same password, and a later sign-in leaves it as it is.
    expect(await new Browser(app.baseUrl).signIn('legacy@example.com', 'old but good password')).toBe(true);
    expect(await storedHash('legacy@example.com')).toBe(upgraded);
  });
});
