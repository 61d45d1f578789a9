import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';

// Sign-in and sign-up budgets per client address and per (account, address), through real HTTP
// from real socket addresses: the harness binds each client's socket to its own loopback
// address (127.0.0.0/8 is all loopback on Linux), so the app sees distinct clients without
// any proxy or header.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

const PASSWORD = 'a long enough password';
// Small budgets and a long window, so nothing here depends on timing.
const BUDGET_ENV = {
  AUTH_RATE_LIMIT_POINTS: '3',
  AUTH_ADDRESS_RATE_LIMIT_POINTS: '6',
  RATE_LIMIT_WINDOW_SECONDS: '600',
};

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP client whose socket is bound to `localAddress`, keeping cookies like a browser. */
class AddressedClient {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly localAddress: string,
    private baseUrl: string,
  ) {}

  /** The same client (address and cookies) talking to another instance. */
  at(baseUrl: string): this {
    this.baseUrl = baseUrl;
    return this;
  }

  request(pathname: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
    const url = new URL(pathname, this.baseUrl);
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.method && init.method !== 'GET') headers.origin = url.origin;
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: init.method ?? 'GET', headers, localAddress: this.localAddress }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const pair = line.split(';')[0]!;
            const eq = pair.indexOf('=');
            this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(init.body);
    });
  }

  /**
   * Signs in through NextAuth's credentials flow. `error` is NextAuth's error code from the
   * redirect URL: `CredentialsSignin` for a wrong email or password, `TooManyAttempts` when a
   * budget is spent; null on success.
   */
  async signIn(email: string, password: string): Promise<{ ok: boolean; error: string | null }> {
    this.cookies.delete('next-auth.session-token');
    const csrf = JSON.parse((await this.request('/api/auth/csrf')).body) as { csrfToken: string };
    const reply = await this.request('/api/auth/callback/credentials', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken: csrf.csrfToken, email, password, json: 'true' }).toString(),
    });
    const { url } = JSON.parse(reply.body) as { url: string };
    return { ok: this.cookies.has('next-auth.session-token'), error: new URL(url).searchParams.get('error') };
  }

  /** POST /api/users (sign-up); the status. */
  async signUp(email: string): Promise<number> {
    const reply = await this.request('/api/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    return reply.status;
  }
}

/** An email of exactly `length` characters that the users schema accepts (labels of at most 63). */
function longEmail(prefix: string, length: number): string {
  const local = `${prefix}${'x'.repeat(60)}`.slice(0, 60);
  let domain = 'example.com';
  while (local.length + 1 + domain.length < length) {
    const room = length - (local.length + 1 + domain.length) - 1;
    domain = `${'d'.repeat(Math.min(63, Math.max(1, room)))}.${domain}`;
  }
  const email = `${local}@${domain}`;
  if (email.length !== length) throw new Error(`could not build a ${length}-char email (${email.length})`);
  return email;
}

describe.skipIf(!hasPostgres)('sign-in and sign-up budgets per client address (two instances, one PostgreSQL)', () => {
  let app: AppServer;
  let other: AppServer;

  beforeAll(async () => {
    app = await startApp({ kind: 'postgres', env: BUDGET_ENV });
    // A second instance on the same database: budgets live in PostgreSQL, not in one process.
    other = await startApp({ kind: 'postgres', env: { ...BUDGET_ENV, DATABASE_URL: app.env.DATABASE_URL! } });
    for (const email of ['owner@example.com', 'bystander@example.com', longEmail('long', 250)]) {
      const { code } = await runCli(app.env, 'user-create.ts', ['--email', email, '--password', PASSWORD]);
      expect(code).toBe(0);
    }
  });
  afterAll(async () => {
    // `other` runs on app's database (its own scratch one stays unused): stop it before app drops the database.
    await other?.dispose();
    await app?.dispose();
  });

  it('guessing from one address never locks the owner out from another address', async () => {
    const attacker = new AddressedClient('127.0.0.11', app.baseUrl);
    for (let i = 0; i < 3; i++) {
      expect(await attacker.signIn('owner@example.com', `wrong guess ${i}`)).toEqual({ ok: false, error: 'CredentialsSignin' });
    }
    // The attacker's budget for this account is spent: even the right password is refused there...
    expect(await attacker.signIn('owner@example.com', PASSWORD)).toEqual({ ok: false, error: 'TooManyAttempts' });
    expect(await attacker.signIn('OWNER@example.com', PASSWORD)).toEqual({ ok: false, error: 'TooManyAttempts' });
    // ...while the owner, from their own address, signs in on either instance.
    expect(await new AddressedClient('127.0.0.12', app.baseUrl).signIn('owner@example.com', PASSWORD)).toEqual({ ok: true, error: null });
    expect(await new AddressedClient('127.0.0.12', other.baseUrl).signIn('owner@example.com', PASSWORD)).toEqual({
      ok: true,
      error: null,
    });
  });

  it('a flood of unknown emails from one address is cut off by that address budget, and another address still signs in', async () => {
    const flooder = new AddressedClient('127.0.0.21', app.baseUrl);
    const results: (string | null)[] = [];
    for (let i = 0; i < 8; i++) results.push((await flooder.signIn(`nobody${i}@example.com`, 'some password')).error);
    // Each email is new, so only the per-address budget (6) can stop the flood.
    expect(results).toEqual([...Array<string>(6).fill('CredentialsSignin'), 'TooManyAttempts', 'TooManyAttempts']);
    // The flooding address is refused for a real account too, on every instance...
    expect(await flooder.signIn('bystander@example.com', PASSWORD)).toEqual({ ok: false, error: 'TooManyAttempts' });
    expect(await flooder.at(other.baseUrl).signIn('bystander@example.com', PASSWORD)).toEqual({ ok: false, error: 'TooManyAttempts' });
    // ...and nobody else is.
    expect(await new AddressedClient('127.0.0.22', app.baseUrl).signIn('bystander@example.com', PASSWORD)).toEqual({
      ok: true,
      error: null,
    });
  });

  it('a sign-up flood from one address does not refuse sign-ups from another', async () => {
    const flooder = new AddressedClient('127.0.0.31', app.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await flooder.signUp(`flood${i}@example.com`));
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect(await flooder.at(other.baseUrl).signUp('flood-other@example.com')).toBe(429);
    expect(await new AddressedClient('127.0.0.32', app.baseUrl).signUp('newcomer@example.com')).toBe(201);
    expect(await new AddressedClient('127.0.0.32', other.baseUrl).signUp('newcomer2@example.com')).toBe(201);
  });

  it("a 260-character email's budget is shared by both instances (the key fits the table)", async () => {
    const email = longEmail('guess', 260);
    const client = new AddressedClient('127.0.0.41', app.baseUrl);
    for (let i = 0; i < 3; i++) expect((await client.signIn(email, `wrong guess ${i}`)).error).toBe('CredentialsSignin');
    // Four attempts in all stay under the address budget (6): only the (account, address) budget refuses.
    expect((await client.at(other.baseUrl).signIn(email, 'wrong guess 3')).error).toBe('TooManyAttempts');
  });

  it("a registered 250-character email's budget is shared by both instances, and the owner elsewhere is not refused", async () => {
    const email = longEmail('long', 250);
    const attacker = new AddressedClient('127.0.0.51', app.baseUrl);
    for (let i = 0; i < 3; i++) expect((await attacker.signIn(email, `wrong guess ${i}`)).error).toBe('CredentialsSignin');
    expect(await attacker.at(other.baseUrl).signIn(email, PASSWORD)).toEqual({ ok: false, error: 'TooManyAttempts' });
    expect(await new AddressedClient('127.0.0.52', other.baseUrl).signIn(email, PASSWORD)).toEqual({ ok: true, error: null });
  });
});
