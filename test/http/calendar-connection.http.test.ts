import { randomBytes } from 'node:crypto';
import { getBasicAuthHeaders, makeCalendar } from 'tsdav';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { startRadicale, type RadicaleServer } from '@test/helpers/radicale';
import { DATABASE_KINDS } from '@test/helpers/test-db';

// PUT/GET/DELETE /api/calendar/connection and the ICS feed over real HTTP, against a real Radicale.

const PASSWORD = 'a long enough password';
const CALDAV_PASSWORD = 'caldav-secret-7f3a9';

describe.each(DATABASE_KINDS)('calendar connection and ICS feed over HTTP on %s', (kind) => {
  let app: AppServer;
  let radicale: RadicaleServer;
  let ana: Browser;
  let lee: Browser;

  beforeAll(async () => {
    radicale = await startRadicale({ ana: CALDAV_PASSWORD });
    const made = await makeCalendar({
      url: `${radicale.url}ana/work/`,
      props: { displayname: 'Work' },
      headers: getBasicAuthHeaders({ username: 'ana', password: CALDAV_PASSWORD }),
    });
    expect(made[0]?.ok).toBe(true);
    const create = async (env: NodeJS.ProcessEnv) => {
      for (const email of ['ana@example.com', 'lee@example.com']) {
        expect((await runCli(env, 'user-create.ts', ['--email', email, '--password', PASSWORD])).code).toBe(0);
      }
    };
    app = await startApp({
      kind,
      env: { CALENDAR_ENCRYPTION_KEY: randomBytes(32).toString('base64'), CALDAV_ALLOW_PRIVATE_NETWORKS: 'true', LOG_LEVEL: 'debug' },
      beforeStart: kind === 'pglite' ? create : undefined,
    });
    if (kind === 'postgres') await create(app.env);
    ana = new Browser(app.baseUrl);
    lee = new Browser(app.baseUrl);
    expect(await ana.signIn('ana@example.com', PASSWORD)).toBe(true);
    expect(await lee.signIn('lee@example.com', PASSWORD)).toBe(true);
  });
  afterAll(async () => {
    await app?.dispose();
    await radicale?.close();
  });

  const put = (body: unknown) => ana.json('/api/calendar/connection', { method: 'PUT', json: body });

  it.each([
    ['a wrong password', () => ({ url: radicale.url, username: 'ana', password: 'wrong' }), /^password: the calendar server refused/],
    [
      'an unreachable server',
      () => ({ url: 'http://127.0.0.1:1/', username: 'ana', password: CALDAV_PASSWORD }),
      /^url: .*could not be reached/,
    ],
    ['an ftp URL', () => ({ url: 'ftp://example.com/', username: 'ana', password: 'x' }), /url: must be an http/],
    ['no password', () => ({ url: radicale.url, username: 'ana' }), /password/],
    ['an unknown field', () => ({ url: radicale.url, username: 'ana', password: 'x', extra: 1 }), /extra/],
  ])('PUT with %s: 400 naming the field, nothing stored', async (_name, body, message) => {
    const response = await put(body());
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'invalid_input', message: expect.stringMatching(message) } });
    expect((await ana.json('/api/calendar/connection')).body).toEqual({ connected: false });
  });

  it('PUT connects; GET shows url, username and status but never the password; no log line holds it; DELETE forgets it', async () => {
    const connected = await put({ url: radicale.url, username: 'ana', password: CALDAV_PASSWORD });
    expect(connected.status).toBe(200);
    expect(connected.body).toMatchObject({ connected: true, url: radicale.url, username: 'ana', status: 'connected' });
    const shown = await ana.fetch('/api/calendar/connection');
    const text = await shown.text();
    expect(JSON.parse(text)).toMatchObject({ connected: true, calendarUrl: `${radicale.url}ana/work/` });
    expect(text).not.toContain(CALDAV_PASSWORD);
    expect(JSON.stringify(connected.body)).not.toContain(CALDAV_PASSWORD);
    expect((await lee.json('/api/calendar/connection')).body).toEqual({ connected: false });
    expect(app.logs()).not.toContain(CALDAV_PASSWORD);
    expect((await ana.json('/api/calendar/connection', { method: 'DELETE' })).body).toEqual({ deleted: true });
    expect((await ana.json('/api/calendar/connection')).body).toEqual({ connected: false });
  });

  it('the ICS feed: POST makes a URL served without a session as text/calendar; rotating or DELETE revokes it (404 JSON)', async () => {
    const created = await ana.json<{ url: string; token: string }>('/api/calendar/feed', { method: 'POST' });
    expect(created.status).toBe(201);
    expect(created.body.url).toMatch(/\/api\/calendar\/feed\/[A-Za-z0-9_-]{43}\.ics$/);
    const feed = await fetch(created.body.url);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/calendar/);
    expect(await feed.text()).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect((await ana.json('/api/calendar/feed')).body).toMatchObject({ active: true });

    const rotated = await ana.json<{ url: string }>('/api/calendar/feed', { method: 'POST' });
    const old = await fetch(created.body.url);
    expect(old.status).toBe(404);
    expect(await old.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await fetch(rotated.body.url)).status).toBe(200);
    expect((await fetch(`${app.baseUrl}/api/calendar/feed/not-a-token.ics`)).status).toBe(404);

    expect((await ana.json('/api/calendar/feed', { method: 'DELETE' })).body).toEqual({ deleted: true });
    expect((await fetch(rotated.body.url)).status).toBe(404);
    expect((await ana.json('/api/calendar/feed')).body).toEqual({ active: false, createdAt: null });
  });

  it('without a session the connection and feed management answer 401', async () => {
    const anonymous = new Browser(app.baseUrl);
    expect((await anonymous.json('/api/calendar/connection')).status).toBe(401);
    expect((await anonymous.json('/api/calendar/feed', { method: 'POST' })).status).toBe(401);
  });
});
