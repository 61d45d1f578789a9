import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { resetEnvCache } from '@/lib/config/env';
import { stopFanout } from '@/lib/realtime/fanout';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { createUser } from '@/lib/services/user.service';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { fanoutVariants } from '@test/helpers/redis';
import { eventData, openSse, type SseConnection, type SseEvent } from '@test/helpers/sse-client';

// Access given up ends live delivery too: when a session ends (sign-out, a password change that
// ends the other sessions, account deletion), its open SSE streams, on every instance, get
// `event: session-ended` and close, while the user's other sessions keep streaming. Two app
// instances on one PostgreSQL database, once with each fan-out (NOTIFY, Redis).

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const FANOUTS = hasPostgres ? await fanoutVariants() : [{ name: 'postgres' as const, env: {} }];
const PASSWORD = 'a long enough password';
const NEW_PASSWORD = 'another long enough password';
const STREAM = '/api/chat-messages/stream';
const COOKIE = 'next-auth.session-token';
/** Well under the 60 s safety-net re-check: only the announcement can close a stream this fast. */
const PROMPT_MS = 10_000;

const isEnded = (event: SseEvent) => event.event === 'session-ended';

describe.skipIf(!hasPostgres).each(FANOUTS)('streams of an ended session close on every instance (fan-out $name)', (fanout) => {
  let appA: AppServer;
  let appB: AppServer;
  const open: SseConnection[] = [];
  const ENV = { RATE_LIMIT_POINTS: '100000', ...fanout.env };
  const saved = { FANOUT: process.env.FANOUT, REDIS_URL: process.env.REDIS_URL };

  beforeAll(async () => {
    Object.assign(process.env, fanout.env);
    resetEnvCache();
    appA = await startApp({ kind: 'postgres', env: ENV });
    appB = await startApp({ kind: 'postgres', env: { ...ENV, DATABASE_URL: appA.env.DATABASE_URL! } });
    setDatabase(await openDatabase({ databaseUrl: appA.env.DATABASE_URL, pgliteDir: 'unused' }));
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await stopFanout();
    await closeDatabase();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetEnvCache();
    await appB?.dispose();
    await appA?.dispose();
  });

  /** A new session of the user on instance A, and the same cookie used on instance B. */
  async function session(email: string): Promise<{ a: Browser; b: Browser }> {
    const a = new Browser(appA.baseUrl);
    expect(await a.signIn(email, PASSWORD)).toBe(true);
    const b = new Browser(appB.baseUrl);
    b.setCookie(COOKIE, a.getCookie(COOKIE)!);
    return { a, b };
  }

  /** An open stream of `browser`, live (past `ready`). */
  async function liveStream(browser: Browser): Promise<SseConnection> {
    const connection = await openSse(browser, STREAM);
    open.push(connection);
    expect(connection.status).toBe(200);
    await connection.events.until((e) => e.event === 'ready');
    return connection;
  }

  /** The stream gets `session-ended` (with no stored data in it) and then ends. */
  async function expectEnded(connection: SseConnection): Promise<void> {
    const seen = await connection.events.until(isEnded, PROMPT_MS);
    expect(eventData(seen[seen.length - 1]!)).toEqual({});
    await connection.events.waitForEnd(PROMPT_MS);
  }

  /** The stream is still open and live: a message sent now arrives on it. */
  async function expectLive(connection: SseConnection, userId: string, text: string): Promise<void> {
    await chatResponseService.sendInfo('task_1', userId, text);
    const seen = await connection.events.until((e) => e.event === 'chat-message' && eventData<{ content: string }>(e).content === text);
    expect(seen.some(isEnded)).toBe(false);
    expect(connection.events.ended).toBe(false);
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

  it('signing out ends that session’s streams on both instances and leaves another session’s streams live', async () => {
    const userId = (await createUser({ email: `out-${fanout.name}@example.com`, password: PASSWORD })).id;
    const leaving = await session(`out-${fanout.name}@example.com`);
    const staying = await session(`out-${fanout.name}@example.com`);
    const [leavingA, leavingB, stayingA, stayingB] = await Promise.all([
      liveStream(leaving.a),
      liveStream(leaving.b),
      liveStream(staying.a),
      liveStream(staying.b),
    ]);

    await signOut(leaving.a);

    await expectEnded(leavingA);
    await expectEnded(leavingB);
    await expectLive(stayingA, userId, 'still here on A');
    await expectLive(stayingB, userId, 'still here on B');
    // Reconnecting with the ended session is refused.
    expect((await openSse(leaving.b, STREAM)).status).toBe(401);
  });

  it('a password change ends the other sessions’ streams on both instances and keeps the changing session’s', async () => {
    const userId = (await createUser({ email: `pw-${fanout.name}@example.com`, password: PASSWORD })).id;
    const changing = await session(`pw-${fanout.name}@example.com`);
    const other = await session(`pw-${fanout.name}@example.com`);
    const [changingA, changingB, otherA, otherB] = await Promise.all([
      liveStream(changing.a),
      liveStream(changing.b),
      liveStream(other.a),
      liveStream(other.b),
    ]);

    const changed = await changing.a.json<{ endedSessions: number }>('/api/users/me/password', {
      json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(changed.status).toBe(200);

    await expectEnded(otherA);
    await expectEnded(otherB);
    await expectLive(changingA, userId, 'kept on A');
    await expectLive(changingB, userId, 'kept on B');
  });

  it('deleting the account ends every stream of every session on both instances', async () => {
    await createUser({ email: `del-${fanout.name}@example.com`, password: PASSWORD });
    const deleting = await session(`del-${fanout.name}@example.com`);
    const other = await session(`del-${fanout.name}@example.com`);
    const streams = await Promise.all([liveStream(deleting.a), liveStream(deleting.b), liveStream(other.a), liveStream(other.b)]);

    const response = await deleting.a.fetch('/api/users/me', {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();

    for (const stream of streams) await expectEnded(stream);
  });
});
