import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { queryRows } from '@test/helpers/test-db';

// Text PostgreSQL cannot store (NUL, lone surrogates), bytes that are not UTF-8, paths that do not
// percent-decode and dates outside years 1..9999, sent to every route by every method: never a
// 5xx, always a JSON error naming the field where one is at fault, and nothing stored changes.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

const PASSWORD = 'a long enough password';

type Body = { json: unknown } | { raw: string | Uint8Array; type?: string };

interface Case {
  name: string;
  path: string;
  method?: string;
  body?: Body;
  /** Signed in as the test user unless `anonymous`. */
  as?: 'anonymous';
  status: number;
  /** The error code of the JSON body; omitted when the response has no JSON body (405 from Next). */
  code?: string;
  /** What the error message must name (the field, the path, the body). */
  names?: RegExp;
}

const NUL = '\u0000';
const LONE_HIGH = '\uD800';
const LONE_LOW = '\uDC00';
const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

const bad = (name: string, path: string, names: RegExp, extra: Partial<Case> = {}): Case => ({
  name,
  path,
  status: 400,
  code: 'invalid_input',
  names,
  ...extra,
});
const post = (body: unknown): Partial<Case> => ({ method: 'POST', body: { json: body } });
const postRaw = (raw: string | Uint8Array, type = 'application/json'): Partial<Case> => ({ method: 'POST', body: { raw, type } });

const TASKS = '/api/scheduling-agent/tasks';
const MARK = '/api/chat-messages/mark-read';
const EVENTS = '/api/calendar/events';

const cases: Case[] = [
  // ---- NUL in the path: every route with a path parameter ---------------------------------------
  bad('NUL as the task id of GET /api/chat-messages/{taskId}', '/api/chat-messages/%00', /taskId/),
  bad('NUL inside a task id', '/api/chat-messages/task%00x', /taskId/),
  bad('NUL as a message id', '/api/chat-messages/by-id/%00', /id/),
  bad('NUL inside a message id', '/api/chat-messages/by-id/msg%00', /id/),
  bad('NUL as a scheduling task id', `${TASKS}/%00`, /id/),
  bad('NUL inside a scheduling task id', `${TASKS}/abc%00def`, /id/),
  // ---- Paths that do not percent-decode: a JSON 400 before Next.js sees them --------------------
  bad('%FF as a task id', '/api/chat-messages/%FF', /path/i),
  bad('%FF as a message id', '/api/chat-messages/by-id/%FF', /path/i),
  bad('%FF as a scheduling task id', `${TASKS}/%FF`, /path/i),
  bad('an encoded lone surrogate (CESU-8) in the path', '/api/chat-messages/%ED%A0%80', /path/i),
  bad('an overlong NUL (%C0%80) in the path', '/api/chat-messages/by-id/%C0%80', /path/i),
  bad('a truncated escape (%E2%82) in the path', '/api/chat-messages/%E2%82', /path/i),
  bad('a bare % in the path', '/api/chat-messages/100%', /path/i),
  bad('%FF on a static route', '/api/chat-messages/unread-count%FF', /path/i),
  bad('%FF on an unknown API path', '/api/no-such-route/%FF', /path/i),
  bad('%FF under NextAuth', '/api/auth/%FF', /path/i, { as: 'anonymous' }),
  bad('%FF in a POST path', '/api/chat-messages/%FF', /path/i, post({ messageIds: ['x'] })),
  // ---- NUL and bad bytes in query strings -------------------------------------------------------
  bad('limit=%00', '/api/chat-messages?limit=%00', /limit/),
  bad('NUL in a query key', '/api/chat-messages?li%00mit=5', /query/),
  bad('NUL in an unknown query parameter', '/api/chat-messages/unread-count?x=%00', /x/),
  bad('after=%00 on history', '/api/chat-messages/history?after=%00', /after/),
  bad('since=%00 on the stream', '/api/chat-messages/stream?since=%00', /since/),
  bad('NUL in a task list query', `${TASKS}?q=%00`, /q/),
  bad('NUL in a task id route query', `/api/chat-messages/task_1?x=a%00b`, /x/),
  bad('limit=%FF', '/api/chat-messages?limit=%FF', /limit/),
  bad('from=%00 on calendar events', `${EVENTS}?from=%00&to=2026-01-02T00:00:00Z`, /from/),
  // ---- Calendar ranges outside years 1..9999 ----------------------------------------------------
  bad('year 0 in a calendar range', `${EVENTS}?from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z`, /from/),
  bad('year 0 as the end of a calendar range', `${EVENTS}?from=0001-01-01T00:00:00Z&to=0000-01-02T00:00:00Z`, /to/),
  bad('an offset pushing year 1 into year 0', `${EVENTS}?from=0001-01-01T00:00:00%2B01:00&to=0001-01-02T00:00:00Z`, /from/),
  bad('an offset pushing 9999 into 10000', `${EVENTS}?from=9999-12-31T00:00:00Z&to=9999-12-31T23:59:59-01:00`, /to/),
  bad('an expanded year', `${EVENTS}?from=%2B010000-01-01T00:00:00Z&to=%2B010000-01-02T00:00:00Z`, /from/),
  bad('a negative year', `${EVENTS}?from=-000001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z`, /from/),
  // ---- NUL and lone surrogates in JSON bodies: values, nested values, keys ----------------------
  bad('a NUL message id', MARK, /messageIds\.0/, post({ messageIds: [NUL] })),
  bad('a message id with NUL inside', MARK, /messageIds\.1/, post({ messageIds: ['ok', `a${NUL}b`] })),
  bad('a lone high surrogate as a message id', MARK, /messageIds\.0/, post({ messageIds: [LONE_HIGH] })),
  bad('a lone low surrogate as a message id', MARK, /messageIds\.0/, post({ messageIds: [`x${LONE_LOW}`] })),
  bad('NUL in a JSON key', MARK, /body/, post({ messageIds: ['x'], [`k${NUL}`]: 1 })),
  bad('NUL in a nested JSON key', MARK, /extra/, post({ messageIds: ['x'], extra: { [`a${NUL}`]: 1 } })),
  bad('a lone surrogate in a JSON key', MARK, /body/, post({ messageIds: ['x'], [LONE_HIGH]: 1 })),
  bad('NUL on the POST /api/chat-messages alias', '/api/chat-messages', /messageIds\.0/, post({ messageIds: [NUL] })),
  bad('NUL in an unknown field of mark-all-read', '/api/chat-messages/mark-all-read', /note/, post({ upTo: 1, note: NUL })),
  bad('NUL in a task request', TASKS, /request/, post({ request: `lunch with Ana tomorrow${NUL}` })),
  bad('a lone surrogate in a task request', TASKS, /request/, post({ request: `lunch ${LONE_HIGH} tomorrow` })),
  bad('a lone low surrogate in a task request', TASKS, /request/, post({ request: `${LONE_LOW}lunch tomorrow` })),
  bad('NUL as the task id of an answer', TASKS, /taskId/, post({ request: 'yes', taskId: NUL })),
  bad('a lone surrogate as the task id of an answer', TASKS, /taskId/, post({ request: 'yes', taskId: LONE_HIGH })),
  bad('NUL in the time zone of a task', TASKS, /timezone/, post({ request: 'lunch tomorrow', timezone: `UTC${NUL}` })),
  bad('NUL nested in an array of a task', TASKS, /extra\.0\.a/, post({ request: 'lunch', extra: [{ a: NUL }] })),
  bad('a lone surrogate in a Pusher channel name', '/api/pusher/auth', /channel_name/, post({ socket_id: '1.2', channel_name: LONE_HIGH })),
  bad('NUL in a Pusher socket id (form)', '/api/pusher/auth', /socket_id/, {
    ...postRaw('socket_id=1.2%00&channel_name=private-user-x', 'application/x-www-form-urlencoded'),
  }),
  bad('NUL in a form key (Pusher auth)', '/api/pusher/auth', /body/, {
    ...postRaw('socket_id=1.2&channel_name=x&a%00=1', 'application/x-www-form-urlencoded'),
  }),
  // ---- Sign-up (public) -------------------------------------------------------------------------
  bad('NUL in a sign-up name', '/api/users', /name/, {
    ...post({ email: 'nul-name@example.com', password: PASSWORD, name: `Bob${NUL}` }),
    as: 'anonymous',
  }),
  bad('NUL in a sign-up email', '/api/users', /email/, {
    ...post({ email: `nul${NUL}@example.com`, password: PASSWORD }),
    as: 'anonymous',
  }),
  bad('NUL in a sign-up password', '/api/users', /password/, {
    ...post({ email: 'nul-pass@example.com', password: `${PASSWORD}${NUL}` }),
    as: 'anonymous',
  }),
  bad('a lone surrogate in a sign-up name', '/api/users', /name/, {
    ...post({ email: 'surrogate@example.com', password: PASSWORD, name: `Bob ${LONE_LOW}` }),
    as: 'anonymous',
  }),
  bad('a lone surrogate in a sign-up password', '/api/users', /password/, {
    ...post({ email: 'surrogate2@example.com', password: `${PASSWORD}${LONE_HIGH}` }),
    as: 'anonymous',
  }),
  {
    name: 'sign-up as a form body',
    path: '/api/users',
    ...postRaw(`email=form%00@example.com&password=${encodeURIComponent(PASSWORD)}`, 'application/x-www-form-urlencoded'),
    as: 'anonymous',
    status: 415,
    code: 'unsupported_media_type',
  },
  // ---- Bytes that are not UTF-8 (or are overlong UTF-8) -----------------------------------------
  bad('invalid UTF-8 bytes in a task request', TASKS, /UTF-8/, postRaw(bytes('{"request":"lunch ', [0xff, 0xfe], '"}'))),
  bad('an overlong NUL (C0 80) in a task request', TASKS, /UTF-8/, postRaw(bytes('{"request":"lunch', [0xc0, 0x80], '"}'))),
  bad('an overlong slash (E0 80 AF) in a task request', TASKS, /UTF-8/, postRaw(bytes('{"request":"a', [0xe0, 0x80, 0xaf], '"}'))),
  bad('a CESU-8 surrogate (ED A0 80) in a message id', MARK, /UTF-8/, postRaw(bytes('{"messageIds":["', [0xed, 0xa0, 0x80], '"]}'))),
  bad('a truncated sequence at the end of a body', MARK, /UTF-8/, postRaw(bytes('{"messageIds":["x"]}', [0xe2, 0x82]))),
  bad('invalid UTF-8 in a sign-up name', '/api/users', /UTF-8/, {
    ...postRaw(bytes('{"email":"bytes@example.com","password":"a long enough password","name":"', [0xff], '"}')),
    as: 'anonymous',
  }),
  bad(
    'invalid UTF-8 in a form body',
    '/api/pusher/auth',
    /UTF-8/,
    postRaw(bytes('socket_id=1.2&channel_name=', [0xff]), 'application/x-www-form-urlencoded'),
  ),
  bad('a percent-encoded invalid byte in a form body', '/api/pusher/auth', /channel_name/, {
    ...postRaw('socket_id=1.2&channel_name=%FF', 'application/x-www-form-urlencoded'),
  }),
  bad('a UTF-16 body declared as JSON', MARK, /UTF-8|JSON/, postRaw(Buffer.from('{"messageIds":["x"]}', 'utf16le'))),
  // ---- Huge numbers, wrong shapes ---------------------------------------------------------------
  bad('upTo=1e400 (Infinity)', '/api/chat-messages/mark-all-read', /upTo/, postRaw('{"upTo":1e400}')),
  bad('upTo beyond 2^53', '/api/chat-messages/mark-all-read', /upTo/, postRaw('{"upTo":9007199254740993}')),
  bad('upTo as a 400-digit number', '/api/chat-messages/mark-all-read', /upTo/, postRaw(`{"upTo":${'9'.repeat(400)}}`)),
  bad('upTo as an object', '/api/chat-messages/mark-all-read', /upTo/, post({ upTo: { $gt: 0 } })),
  bad('mark-all-read body as an array', '/api/chat-messages/mark-all-read', /object/, post([{ upTo: 1 }])),
  bad('task body as an array', TASKS, /object/, post([{ request: 'lunch tomorrow' }])),
  bad('task request as an array', TASKS, /request/, post({ request: ['lunch tomorrow'] })),
  bad('task request as an object', TASKS, /request/, post({ request: { toString: 'lunch' } })),
  bad('sign-up body as an array', '/api/users', /object|email/, {
    ...post([{ email: 'arr@example.com', password: PASSWORD }]),
    as: 'anonymous',
  }),
  bad('history limit=1e999', '/api/chat-messages/history?limit=1e999', /limit/),
  bad('since beyond 2^53 on the stream', '/api/chat-messages/stream?since=9007199254740993', /since/),
  bad('history after as a 40-digit number', `/api/chat-messages/history?after=${'9'.repeat(40)}`, /after/),
  // ---- Other methods on every route: refused, never a 5xx ---------------------------------------
  ...(
    [
      ['PUT', MARK],
      ['DELETE', '/api/chat-messages'],
      ['PATCH', TASKS],
      ['DELETE', `${TASKS}/abc`],
      ['PUT', '/api/chat-messages/task_1'],
      ['DELETE', '/api/chat-messages/by-id/x'],
      ['POST', '/api/chat-messages/unread-count'],
      ['POST', '/api/chat-messages/history'],
      ['POST', '/api/chat-messages/stream'],
      ['POST', EVENTS],
      ['PUT', '/api/users'],
      ['PUT', '/api/pusher/auth'],
    ] as const
  ).map(([method, path]): Case => ({ name: `${method} ${path}`, path, method, body: { json: {} }, status: 405 })),
  // ---- Sign-up, other methods with NUL ----------------------------------------------------------
  { name: 'DELETE with a NUL path', path: '/api/chat-messages/%00', method: 'DELETE', status: 405 },
];

describe.skipIf(!hasPostgres)('hostile input (PostgreSQL): never a 5xx, never a stored change', () => {
  let app: AppServer;
  let database: Database;
  let browser: Browser;
  let userId: string;

  /** Every stored row a request could change (rate-limit counters aside: refusing costs budget). */
  async function snapshot(): Promise<string> {
    const tables = ['users', 'chat_messages', 'chat_user_cursors', 'scheduling_agent_tasks', 'calendar_events'];
    const out: Record<string, unknown> = {};
    for (const table of tables) {
      out[table] = await queryRows(database, sql.raw(`SELECT to_jsonb(t)::text AS row FROM ${table} t ORDER BY 1`));
    }
    return JSON.stringify(out);
  }

  async function send(c: Pick<Case, 'path' | 'method' | 'body' | 'as'>): Promise<{ status: number; text: string; type: string }> {
    const client = c.as === 'anonymous' ? new Browser(app.baseUrl) : browser;
    const init: RequestInit = { method: c.method ?? 'GET' };
    if (c.body && 'json' in c.body) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(c.body.json);
    } else if (c.body) {
      init.headers = c.body.type ? { 'content-type': c.body.type } : {};
      init.body = c.body.raw as BodyInit;
    }
    const response = await client.fetch(c.path, init);
    return { status: response.status, text: await response.text(), type: response.headers.get('content-type') ?? '' };
  }

  beforeAll(async () => {
    // Many requests from one address: a budget large enough that none is a 429.
    app = await startApp({ kind: 'postgres', env: { RATE_LIMIT_POINTS: '100000', AUTH_RATE_LIMIT_POINTS: '100000' } });
    database = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' });
    setDatabase(database);
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'hostile@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(0);
    userId = created.output.id as string;
    browser = new Browser(app.baseUrl);
    expect(await browser.signIn('hostile@example.com', PASSWORD)).toBe(true);
    await chatResponseService.sendInfo('task_1', userId, 'must not change');
  });
  afterAll(async () => {
    await closeDatabase();
    await app?.dispose();
  });

  it(`has at least 90 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(90);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot();
    const { status, text, type } = await send(c);
    expect({ status, text }).toMatchObject({ status: c.status });
    if (c.code) {
      expect(type).toMatch(/application\/json/);
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(c.code);
      if (c.names) expect(body.error.message).toMatch(c.names);
    }
    expect(text).not.toMatch(/at .*\.(js|ts):\d+/);
    expect(await snapshot()).toBe(before);
  });

  describe('still served: the rules refuse only what cannot be stored', () => {
    it('a calendar range in year 1 and one in year 9999 are answered (empty)', async () => {
      for (const [from, to] of [
        ['0001-01-01T00:00:00Z', '0001-01-02T00:00:00Z'],
        ['9999-12-30T00:00:00Z', '9999-12-31T23:59:59.999Z'],
      ]) {
        const res = await browser.json(`${EVENTS}?from=${from}&to=${to}`);
        expect(res).toMatchObject({ status: 200, body: { events: [] } });
      }
    });

    it('paired surrogates (emoji) and U+FFFD typed by a user are ordinary text', async () => {
      const res = await browser.json(`/api/chat-messages/${encodeURIComponent('🙂\uFFFD')}`);
      expect(res).toMatchObject({ status: 200, body: { taskId: '🙂\uFFFD', messages: [], count: 0 } });
    });

    it('a percent-encoded NUL in a non-API page path is a 400, not a 5xx', async () => {
      for (const path of ['/%FF', '/login/%FF', '/%00']) {
        const { status } = await send({ path, as: 'anonymous' });
        expect(status, path).toBeGreaterThanOrEqual(400);
        expect(status, path).toBeLessThan(500);
      }
    });
  });

  describe('sign-in (NextAuth) with text PostgreSQL cannot store', () => {
    /** Signs in as a browser does (the CSRF cookie and token of the same client); `body` gets the token. */
    async function signIn(body: (csrfToken: string) => BodyInit): Promise<{ guest: Browser; status: number; text: string }> {
      const guest = new Browser(app.baseUrl);
      const csrf = await guest.json<{ csrfToken: string }>('/api/auth/csrf');
      const response = await guest.fetch('/api/auth/callback/credentials', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body(csrf.body.csrfToken),
      });
      return { guest, status: response.status, text: await response.text() };
    }
    const attempts: Array<[string, string, string, RegExp]> = [
      ['NUL in the email', `hostile${NUL}@example.com`, PASSWORD, /email/],
      // scrypt (HMAC) pads keys with zeros: "password\0" would otherwise sign in as "password".
      ['NUL after the right password', 'hostile@example.com', `${PASSWORD}${NUL}`, /password/],
      ['NUL as the email', NUL, PASSWORD, /email/],
    ];
    it.each(attempts)('%s: a JSON 400 naming the field, no session, nothing stored', async (_name, email, password, names) => {
      const before = await snapshot();
      const { guest, status, text } = await signIn((csrfToken) => new URLSearchParams({ csrfToken, email, password, json: 'true' }));
      expect({ status, text }).toMatchObject({ status: 400 });
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_input', message: expect.stringMatching(names) } });
      expect(guest.getCookie('next-auth.session-token')).toBeUndefined();
      expect(await snapshot()).toBe(before);
    });

    it('invalid UTF-8 bytes in the sign-in form: a JSON 400, no session', async () => {
      const { guest, status, text } = await signIn(
        (csrfToken) => bytes(`csrfToken=${csrfToken}&json=true&password=x&email=`, [0xff, 0xc0, 0x80]) as BodyInit,
      );
      expect({ status, text }).toMatchObject({ status: 400 });
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_input', message: expect.stringMatching(/UTF-8/) } });
      expect(guest.getCookie('next-auth.session-token')).toBeUndefined();
    });

    it('a lone surrogate in a JSON sign-in body: a JSON 400 naming the field, no session', async () => {
      // A form cannot carry one (URL encoding turns it into U+FFFD); NextAuth also reads JSON.
      const guest = new Browser(app.baseUrl);
      const csrf = await guest.json<{ csrfToken: string }>('/api/auth/csrf');
      const res = await guest.json('/api/auth/callback/credentials', {
        json: { csrfToken: csrf.body.csrfToken, email: 'hostile@example.com', password: `${PASSWORD}${LONE_HIGH}`, json: 'true' },
      });
      expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_input', message: expect.stringMatching(/password/) } } });
      expect(guest.getCookie('next-auth.session-token')).toBeUndefined();
    });

    it('%FF in a sign-in form field: a JSON 400 naming it', async () => {
      const { status, text } = await signIn((csrfToken) => `csrfToken=${csrfToken}&json=true&password=x&email=a%FF@example.com`);
      expect({ status, text }).toMatchObject({ status: 400 });
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_input', message: expect.stringMatching(/email/) } });
    });

    it('NUL in a NextAuth query string: a JSON 400', async () => {
      const { status, text } = await send({ path: '/api/auth/session?x=%00', as: 'anonymous' });
      expect({ status, text }).toMatchObject({ status: 400 });
    });

    it('the right password still signs in', async () => {
      const { guest } = await signIn(
        (csrfToken) => new URLSearchParams({ csrfToken, email: 'hostile@example.com', password: PASSWORD, json: 'true' }),
      );
      expect(guest.getCookie('next-auth.session-token')).toBeTruthy();
    });
  });
});
