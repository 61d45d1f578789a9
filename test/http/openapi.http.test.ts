import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBasicAuthHeaders, makeCalendar } from 'tsdav';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { API_OPERATIONS, errorStatuses, getOpenApiDocument, type ApiOperation } from '@/lib/openapi/document';
import { ErrorResponse } from '@/lib/schemas/common';
import { rotateFeed } from '@/lib/services/calendar-feed.service';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { startRadicale, type RadicaleServer } from '@test/helpers/radicale';

// The OpenAPI document (GET /api/openapi.json) against the routes that exist: every route file
// under src/app/api is documented with each method it exports, and every documented operation
// answers on a running server with the documented status and a body its response schema accepts.

const API_DIR = fileURLToPath(new URL('../../src/app/api', import.meta.url));

/** Route files the document leaves out on purpose. */
const EXCLUDED = new Map([
  ['/api/auth/{...nextauth}', "NextAuth's own endpoints (csrf, callback, session, signout), described by NextAuth"],
  ['/api/bench/empty', "the read-path benchmark's baseline, not part of the API"],
  ['/api/health', "the operator's liveness and readiness probe (README: Health and metrics), not part of the client API"],
  ['/api/metrics', "the operator's Prometheus scrape behind METRICS_TOKEN (README: Health and metrics), not part of the client API"],
]);

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

function routeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === 'route.ts' ? [full] : [];
  });
}

/** `src/app/api/chat-messages/[taskId]/route.ts` -> `/api/chat-messages/{taskId}`. */
function toApiPath(file: string): string {
  const segments = path.relative(API_DIR, path.dirname(file)).split(path.sep);
  return ['/api', ...segments.map((s) => s.replace(/^\[(.+)\]$/, '{$1}'))].join('/');
}

/** The HTTP methods a route file exports: `export const GET`, `export function GET`, `export { POST } from`, `export { h as GET }`. */
function exportedMethods(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/export\s+(?:const|(?:async\s+)?function)\s+([A-Z]+)\b/g)) found.add(m[1]!);
  for (const m of source.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(','))
      found.add(
        part
          .trim()
          .split(/\s+as\s+/)
          .at(-1)!
          .trim(),
      );
  }
  return [...found].filter((name) => METHODS.includes(name)).sort();
}

const key = (method: string, apiPath: string) => `${method.toUpperCase()} ${apiPath}`;

describe('the OpenAPI document and the route files', () => {
  const routes = new Map(routeFiles(API_DIR).map((file) => [toApiPath(file), exportedMethods(fs.readFileSync(file, 'utf8'))]));

  it('finds the route files, including the excluded ones (so the exclusions stay true)', () => {
    expect(routes.get('/api/chat-messages')).toEqual(['GET', 'POST']);
    for (const excluded of EXCLUDED.keys()) expect(routes.has(excluded), excluded).toBe(true);
  });

  it('documents every method of every route file, and nothing else', () => {
    const inFiles = [...routes]
      .filter(([apiPath]) => !EXCLUDED.has(apiPath))
      .flatMap(([apiPath, methods]) => methods.map((method) => key(method, apiPath)))
      .sort();
    const inTable = API_OPERATIONS.map((op) => key(op.method, op.path)).sort();
    const document = getOpenApiDocument();
    const inDocument = Object.entries(document.paths ?? {})
      .flatMap(([apiPath, item]) =>
        Object.keys(item ?? {})
          .filter((k) => METHODS.includes(k.toUpperCase()))
          .map((m) => key(m, apiPath)),
      )
      .sort();
    expect(inTable).toEqual(inFiles);
    expect(inDocument).toEqual(inFiles);
  });

  it('is OpenAPI 3.1 with its shared shapes as components', () => {
    const document = getOpenApiDocument();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['Error', 'ChatMessage', 'UnreadMessage', 'TaskMessage', 'Task', 'CalendarEvent', 'User']),
    );
  });
});

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!hasPostgres)('every documented operation answers as documented (PostgreSQL)', () => {
  let app: AppServer;
  let browser: Browser;
  let userId: string;
  let messageId: string;
  let attachmentId: string;
  let taskId: string;
  const PASSWORD = 'a long enough password';
  const NEW_PASSWORD = 'another long enough password';
  const TASK = 'task-openapi';
  const RADICALE_PASSWORD = 'radicale openapi';
  let radicale: RadicaleServer;
  let feedToken: string;

  interface Sample {
    params?: Record<string, string>;
    query?: Record<string, string>;
    json?: unknown;
    form?: Record<string, string>;
  }

  // One request per documented operation that should succeed; a new operation needs one here.
  const samples: Record<string, () => Sample> = {
    'GET /api/chat-messages': () => ({ query: { limit: '10' } }),
    'POST /api/chat-messages': () => ({ json: { messageIds: [messageId] } }),
    'POST /api/chat-messages/mark-read': () => ({ json: { messageIds: [messageId] } }),
    'POST /api/chat-messages/mark-all-read': () => ({ json: { upTo: 1 } }),
    'GET /api/chat-messages/unread-count': () => ({}),
    'GET /api/chat-messages/retention': () => ({}),
    'GET /api/chat-messages/history': () => ({ query: { after: '0', limit: '10' } }),
    'GET /api/chat-messages/stream': () => ({ query: { since: '0' } }),
    'GET /api/chat-messages/by-id/{id}': () => ({ params: { id: messageId } }),
    'GET /api/chat-messages/attachments/{id}': () => ({ params: { id: attachmentId } }),
    'GET /api/chat-messages/{taskId}': () => ({ params: { taskId: TASK } }),
    'POST /api/pusher/auth': () => ({ form: { socket_id: '123.456', channel_name: `private-user-${userId}` } }),
    'POST /api/pusher/user-auth': () => ({ form: { socket_id: '123.456' } }),
    'POST /api/scheduling-agent/tasks': () => ({
      json: { request: 'meet Sam tomorrow at 10am for 30 minutes', timezone: 'Europe/Berlin' },
    }),
    'GET /api/scheduling-agent/tasks': () => ({}),
    'GET /api/scheduling-agent/tasks/{id}': () => ({ params: { id: taskId } }),
    'GET /api/calendar/events': () => ({ query: { from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00Z' } }),
    'PUT /api/calendar/connection': () => ({ json: { url: radicale.url, username: 'openapi', password: RADICALE_PASSWORD } }),
    'GET /api/calendar/connection': () => ({}),
    'DELETE /api/calendar/connection': () => ({}),
    // Runs before POST /api/calendar/feed, which rotates the token made in beforeAll.
    'GET /api/calendar/feed/{token}': () => ({ params: { token: `${feedToken}.ics` } }),
    'POST /api/calendar/feed': () => ({ json: {} }),
    'GET /api/calendar/feed': () => ({}),
    'DELETE /api/calendar/feed': () => ({}),
    'POST /api/users': () => ({ json: { email: 'openapi-new@example.com', password: PASSWORD } }),
    // These two run last among the signed-in operations (the table's order): the password changes, then the account goes.
    'POST /api/users/me/password': () => ({ json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }),
    'DELETE /api/users/me': () => ({ json: { password: NEW_PASSWORD } }),
    'GET /api/openapi.json': () => ({}),
  };

  function request(op: ApiOperation, sample: Sample, client: Browser): Promise<Response> {
    const pathname = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(sample.params?.[name] ?? ''));
    const search = sample.query ? `?${new URLSearchParams(sample.query)}` : '';
    const init: RequestInit = { method: op.method.toUpperCase() };
    if (sample.json !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(sample.json);
    } else if (sample.form) {
      init.headers = { 'content-type': 'application/x-www-form-urlencoded' };
      init.body = new URLSearchParams(sample.form);
    } else if (op.method === 'post') {
      throw new Error(`${key(op.method, op.path)}: a POST sample needs a body`);
    }
    return client.fetch(`${pathname}${search}`, init);
  }

  beforeAll(async () => {
    // A real CalDAV server with one calendar for PUT /api/calendar/connection.
    radicale = await startRadicale({ openapi: RADICALE_PASSWORD });
    const made = await makeCalendar({
      url: `${radicale.url}openapi/work/`,
      props: { displayname: 'Work' },
      headers: getBasicAuthHeaders({ username: 'openapi', password: RADICALE_PASSWORD }),
    });
    expect(made[0]?.ok).toBe(true);
    app = await startApp({
      kind: 'postgres',
      // Pusher signs subscriptions locally; nothing is sent to this address.
      env: {
        PUSHER_APP_ID: '1',
        PUSHER_KEY: 'key',
        PUSHER_SECRET: 'secret',
        PUSHER_CLUSTER: 'mt1',
        PUSHER_HOST: '127.0.0.1',
        PUSHER_PORT: '9',
        CALENDAR_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        CALDAV_ALLOW_PRIVATE_NETWORKS: 'true', // Radicale runs on loopback.
      },
    });
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'openapi@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(0);
    userId = created.output.id as string;
    browser = new Browser(app.baseUrl);
    expect(await browser.signIn('openapi@example.com', PASSWORD)).toBe(true);

    setDatabase(await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused' }));
    const sent = await chatResponseService.sendConfirmation(TASK, userId, 'Meeting scheduled', { eventId: 'e1' }, undefined, {
      attachments: [{ filename: 'notes.txt', contentType: 'text/plain', content: 'hello' }],
    });
    expect(sent.success).toBe(true);
    messageId = sent.messageId!;
    attachmentId = (await chatResponseService.getMessageById({ id: messageId, userId }))!.attachments[0]!.id;
    const task = await browser.json<{ taskId: string }>('/api/scheduling-agent/tasks', { json: { request: 'meet Ana on Friday at 3pm' } });
    expect(task.status).toBe(202);
    taskId = task.body.taskId;
    feedToken = (await rotateFeed(userId)).token;
  });
  afterAll(async () => {
    await closeDatabase();
    await app?.dispose();
    await radicale?.close();
  });

  it('has a sample request for every documented operation', () => {
    expect(Object.keys(samples).sort()).toEqual(API_OPERATIONS.map((op) => key(op.method, op.path)).sort());
  });

  it.each(API_OPERATIONS.map((op) => [key(op.method, op.path), op] as const))(
    '%s answers with its documented status and shape',
    async (_name, op) => {
      const response = await request(op, samples[key(op.method, op.path)]!(), browser);
      expect(response.status).toBe(op.status ?? 200);
      if (op.response === 'event-stream') {
        expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        await response.body?.cancel();
        return;
      }
      if (op.response === 'download') {
        expect(response.headers.get('content-disposition')).toMatch(/^attachment;/);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        await response.arrayBuffer();
        return;
      }
      if (op.response === 'calendar') {
        expect(response.headers.get('content-type')).toMatch(/^text\/calendar/);
        expect(await response.text()).toMatch(/^BEGIN:VCALENDAR/);
        return;
      }
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body: unknown = await response.json();
      // Parsing strips keys the schema does not know, so equality also fails on undocumented fields.
      expect(op.response.parse(body)).toEqual(body);
    },
  );

  it('GET /api/openapi.json serves the document built from the schemas, without a session', async () => {
    const response = await fetch(`${app.baseUrl}/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(getOpenApiDocument())));
  });

  it.each(API_OPERATIONS.filter((op) => op.auth === 'session').map((op) => [key(op.method, op.path), op] as const))(
    '%s without a session: 401 in the documented error shape',
    async (_name, op) => {
      expect(errorStatuses(op)).toContain(401);
      const response = await request(op, samples[key(op.method, op.path)]!(), new Browser(app.baseUrl));
      expect(response.status).toBe(401);
      expect(ErrorResponse.parse(await response.json())).toMatchObject({ error: { code: 'unauthorized' } });
    },
  );
});
