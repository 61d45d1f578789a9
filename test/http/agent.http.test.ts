import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { DATABASE_KINDS } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';

const TZ = 'America/New_York';
const PASSWORD = 'a long enough password';

/** "Dec 3"-style date of the next weekday at least two days ahead in TZ, so 3pm is inside working hours. */
function nextWeekday(): string {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: TZ, weekday: 'short', month: 'short', day: 'numeric' });
  for (let days = 2; ; days++) {
    const parts = Object.fromEntries(fmt.formatToParts(new Date(Date.now() + days * 86_400_000)).map((p) => [p.type, p.value]));
    if (parts.weekday !== 'Sat' && parts.weekday !== 'Sun') return `${parts.month} ${parts.day}`;
  }
}

type Task = { id: string; status: string; result: { eventId?: string } | null; waitingFor: string | null };

describe.each(DATABASE_KINDS)('the scheduling agent over HTTP on %s', (kind) => {
  let app: AppServer;
  let ana: Browser;
  let lee: Browser;

  beforeAll(async () => {
    const users: Array<[string, string]> = [
      ['ana@example.com', 'Ana'],
      ['lee@example.com', 'Lee'],
    ];
    const create = async (env: NodeJS.ProcessEnv) => {
      for (const [email, name] of users) {
        expect((await runCli(env, 'user-create.ts', ['--email', email, '--password', PASSWORD, '--name', name])).code).toBe(0);
      }
    };
    // On PGlite the worker runs inside the server; on PostgreSQL it is asked to.
    app = await startApp({ kind, env: { RUN_WORKER_IN_PROCESS: 'true' }, beforeStart: kind === 'pglite' ? create : undefined });
    if (kind === 'postgres') await create(app.env);
    ana = new Browser(app.baseUrl);
    lee = new Browser(app.baseUrl);
    expect(await ana.signIn('ana@example.com', PASSWORD)).toBe(true);
    expect(await lee.signIn('lee@example.com', PASSWORD)).toBe(true);
  });
  afterAll(async () => app?.dispose());

  async function settle(browser: Browser, taskId: string): Promise<Task> {
    return waitFor(async () => {
      const { body } = await browser.json<Task>(`/api/scheduling-agent/tasks/${taskId}`);
      return ['COMPLETED', 'WAITING_FOR_USER', 'FAILED'].includes(body.status) ? body : undefined;
    }, `task ${taskId}`);
  }

  it('a chat request becomes a booked event with the right chat messages', async () => {
    const day = nextWeekday();
    const submitted = await ana.json<{ taskId: string; status: string }>('/api/scheduling-agent/tasks', {
      json: { request: `book 30 min with Dana on ${day} at 3pm`, timezone: TZ },
    });
    expect(submitted).toMatchObject({ status: 202, body: { taskId: expect.any(String), status: 'QUEUED' } });
    const task = await settle(ana, submitted.body.taskId);
    expect(task.status).toBe('COMPLETED');

    const history = await ana.json<{ messages: Array<{ type: string; content: string; data: Record<string, unknown> }> }>(
      `/api/chat-messages/${task.id}`,
    );
    expect(history.body.messages.map((m) => [m.type, m.content.replace(/\s/g, ' ')])).toEqual([
      ['SCHEDULING_UPDATE', 'Processing your request...'],
      ['SCHEDULING_UPDATE', 'Checking availability...'],
      ['CONFIRMATION', expect.stringMatching(new RegExp(`^Meeting scheduled: Meeting with Dana, \\w{3}, ${day}, 3:00 PM \\(30 min\\)$`))],
    ]);
    const data = history.body.messages[2]!.data as { eventId: string; startsAt: string; endsAt: string };
    expect(data.eventId).toBe(task.result!.eventId);

    const from = new Date(Date.now()).toISOString();
    const to = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const events = await ana.json<{ events: Array<Record<string, unknown>> }>(`/api/calendar/events?from=${from}&to=${to}`);
    expect(events.body.events).toEqual([
      {
        id: data.eventId,
        title: 'Meeting with Dana',
        startsAt: data.startsAt,
        endsAt: data.endsAt,
        attendees: ['Dana'],
        status: 'CONFIRMED',
        taskId: task.id,
      },
    ]);
    // Another user sees neither the task nor the event.
    expect((await lee.json(`/api/scheduling-agent/tasks/${task.id}`)).status).toBe(404);
    expect((await lee.json<{ events: unknown[] }>(`/api/calendar/events?from=${from}&to=${to}`)).body.events).toEqual([]);
  });

  it('a clarification is answered through the same endpoint and the task continues', async () => {
    const first = await lee.json<{ taskId: string }>('/api/scheduling-agent/tasks', {
      json: { request: 'set up a meeting with Sam', timezone: TZ },
    });
    const waiting = await settle(lee, first.body.taskId);
    expect(waiting).toMatchObject({ status: 'WAITING_FOR_USER', waitingFor: 'details' });
    const answer = await lee.json<{ taskId: string }>('/api/scheduling-agent/tasks', { json: { request: `${nextWeekday()} at 11am` } });
    expect(answer).toMatchObject({ status: 202, body: { taskId: first.body.taskId, status: 'QUEUED' } });
    expect((await settle(lee, first.body.taskId)).status).toBe('COMPLETED');
    const history = await lee.json<{ messages: Array<{ type: string }> }>(`/api/chat-messages/${first.body.taskId}`);
    expect(history.body.messages.map((m) => m.type)).toEqual([
      'SCHEDULING_UPDATE',
      'CLARIFICATION',
      'SCHEDULING_UPDATE',
      'SCHEDULING_UPDATE',
      'CONFIRMATION',
    ]);
  });

  const hostile: Array<[string, string, RequestInit, number, string]> = [
    ['an empty request', '/api/scheduling-agent/tasks', { method: 'POST', body: JSON.stringify({ request: '  ' }) }, 400, 'invalid_input'],
    [
      'a 2,001-char request',
      '/api/scheduling-agent/tasks',
      { method: 'POST', body: JSON.stringify({ request: 'x'.repeat(2001) }) },
      400,
      'invalid_input',
    ],
    [
      'a request that is not a string',
      '/api/scheduling-agent/tasks',
      { method: 'POST', body: JSON.stringify({ request: ['book'] }) },
      400,
      'invalid_input',
    ],
    [
      'an unknown time zone',
      '/api/scheduling-agent/tasks',
      { method: 'POST', body: JSON.stringify({ request: 'book', timezone: 'Mars/Olympus' }) },
      400,
      'invalid_input',
    ],
    [
      "someone else's / unknown task id as the answer target",
      '/api/scheduling-agent/tasks',
      { method: 'POST', body: JSON.stringify({ request: 'at 3pm', taskId: 'nope' }) },
      404,
      'not_found',
    ],
    ['an unknown task', '/api/scheduling-agent/tasks/does-not-exist', {}, 404, 'not_found'],
    ['a 192-char task id', `/api/scheduling-agent/tasks/${'t'.repeat(192)}`, {}, 400, 'invalid_input'],
    ['events without a range', '/api/calendar/events', {}, 400, 'invalid_input'],
    ['events with a non-ISO from', '/api/calendar/events?from=yesterday&to=2026-12-01T00:00:00Z', {}, 400, 'invalid_input'],
    ['events with to before from', '/api/calendar/events?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', {}, 400, 'invalid_input'],
    ['events over 93 days', '/api/calendar/events?from=2026-01-01T00:00:00Z&to=2026-04-04T00:00:00Z', {}, 400, 'invalid_input'],
  ];
  it.each(hostile)('refuses %s', async (_name, path, init, status, code) => {
    const response = await ana.json<{ error: { code: string } }>(path, {
      ...init,
      headers: init.method === 'POST' ? { 'content-type': 'application/json' } : {},
    });
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
  });

  it('refuses the task and calendar APIs without a session', async () => {
    const anonymous = new Browser(app.baseUrl);
    expect((await anonymous.json('/api/scheduling-agent/tasks', { json: { request: 'book' } })).status).toBe(401);
    expect((await anonymous.json('/api/calendar/events?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z')).status).toBe(401);
  });
});
