import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { fetchCalendarObjects, getBasicAuthHeaders } from 'tsdav';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bookingUndone, UNAUTHORIZED, UNREACHABLE } from '@/lib/agent/calendar-access';
import type { Database } from '@/lib/db/client';
import { calendarEvents, users, type TaskStatus } from '@/lib/db/schema';
import { RETRY_LIMIT } from '@/lib/jobs/scheduling-jobs';
import * as connectionService from '@/lib/services/calendar-connection.service';
import * as calendarService from '@/lib/services/calendar.service';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as taskService from '@/lib/services/scheduling-task.service';
import { startSchedulingWorker, stopSchedulingWorker } from '@/workers/worker';
import type { ProcessorHooks } from './schedulingAgent.processor';
import { ALL_DAY, TZ } from '@test/helpers/agent-conversation';
import { startRadicale, type RadicaleServer } from '@test/helpers/radicale';
import { connectRadicaleCalendar, useCalDavEnv } from '@test/helpers/radicale-calendar';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';

// The whole path with a CalDAV calendar that fails: queue -> worker (real pg-boss retries) -> chat,
// against a real Radicale that is stopped, or whose password changed, while the agent works.

const PASSWORD = 'radicale-worker-pass';

describe.each(DATABASE_KINDS)('scheduling agent with a failing CalDAV calendar on %s (queue -> worker -> chat)', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let radicale: RadicaleServer;
  let userId: string;
  let username: string;
  let calendarUrl: string;
  let inject: ProcessorHooks['beforeStep'];
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = useCalDavEnv();
    ({ database, teardown } = await useFreshDatabase(kind));
    radicale = await startRadicale({});
    await startSchedulingWorker({ beforeStep: (step, ctx) => inject?.(step, ctx) });
  });
  afterAll(async () => {
    await stopSchedulingWorker(5_000);
    await teardown();
    await radicale?.close();
    restoreEnv();
  });
  beforeEach(async () => {
    inject = undefined;
    await radicale.start();
    await database.db.execute(
      sql`TRUNCATE chat_escalations, chat_messages, chat_user_cursors, chat_attachments, scheduling_agent_tasks, calendar_events, calendar_connections, users, user_sessions`,
    );
    const [user] = await database.db
      .insert(users)
      .values({ email: 'ana@example.com', passwordHash: 'x', timeZone: TZ, workingHours: ALL_DAY })
      .returning();
    userId = user!.id;
    ({ username, calendarUrl } = await connectRadicaleCalendar(radicale, { userId, password: PASSWORD, prefix: 'w' }));
  });

  /** A loopback HTTP hop in front of Radicale that stops Radicale when the first PUT (a booking) arrives. */
  async function stopRadicaleOnFirstPut() {
    const server = http.createServer((req, res) => {
      if (req.method === 'PUT') {
        void radicale.stop().then(() => res.destroy());
        return;
      }
      const target = new URL(req.url!, radicale.url);
      const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  const remote = async () =>
    fetchCalendarObjects({ calendar: { url: calendarUrl }, headers: getBasicAuthHeaders({ username, password: PASSWORD }) });

  async function settle(taskId: string, statuses: TaskStatus[] = ['COMPLETED', 'WAITING_FOR_USER', 'FAILED']) {
    return waitFor(
      async () => {
        const task = await taskService.getTask({ taskId, userId });
        return statuses.includes(task.status) ? task : undefined;
      },
      `task ${taskId} to reach ${statuses.join('/')}`,
    );
  }
  const conversation = async (taskId: string) =>
    (await chatResponseService.getTaskMessages(taskId, userId)).messages.map((m) => [m.type, m.content] as const);

  it('an unreachable calendar: the user gets one ERROR, the job queue retries, and the retry books once', async () => {
    await radicale.stop();
    // The calendar comes back while the user reads the ERROR; the next attempt finds it.
    inject = async (step) => {
      if (step === 'calendar-unreachable') await radicale.start();
    };
    const { taskId } = await taskService.submitRequest(userId, { request: 'book 30 min with Dana tomorrow at 3pm', timezone: TZ });
    const task = await settle(taskId);
    expect(task.status).toBe('COMPLETED');
    expect(task.attempts).toBeGreaterThanOrEqual(2);
    const said = await conversation(taskId);
    expect(said.map(([type]) => type)).toEqual(['SCHEDULING_UPDATE', 'SCHEDULING_UPDATE', 'ERROR', 'CONFIRMATION']);
    expect(said[2]![1]).toBe(UNREACHABLE);
    expect(await database.db.select().from(calendarEvents)).toHaveLength(1);
    expect(await remote()).toHaveLength(1);
  });

  it('a calendar unreachable through every attempt: the task fails, its booking is undone in the table and the feed, and the user is told', async () => {
    // Radicale goes down at the worst moment: after the free/busy read, when the booking is written.
    const proxy = await stopRadicaleOnFirstPut();
    await connectionService.connect(userId, { url: proxy.url, username, password: PASSWORD });
    const { taskId } = await taskService.submitRequest(userId, { request: 'book 30 min with Dana tomorrow at 3pm', timezone: TZ });
    const task = await settle(taskId, ['FAILED', 'COMPLETED']);
    expect(task.status).toBe('FAILED');
    expect(task.attempts).toBe(RETRY_LIMIT + 1);
    const rows = await database.db.select().from(calendarEvents);
    expect(rows.filter((r) => r.status === 'CONFIRMED')).toEqual([]);
    expect(await calendarService.feedEvents(userId, new Date(0))).toEqual([]);
    const said = await conversation(taskId);
    expect(said.filter(([type]) => type === 'CONFIRMATION')).toEqual([]);
    expect(said.filter(([, content]) => content === UNREACHABLE)).toHaveLength(1);
    expect(said.at(-1)).toEqual(['ERROR', bookingUndone('Meeting with Dana', rows[0]!.startsAt, TZ)]);
    // The calendar comes back: nothing of the failed booking appears there either.
    await radicale.start();
    expect(await remote()).toEqual([]);
    await proxy.close();
  });

  it('a revoked credential: one ERROR asking to reconnect, no retry, nothing booked', async () => {
    radicale.setPassword(username, 'changed-elsewhere');
    const { taskId } = await taskService.submitRequest(userId, { request: 'book 30 min with Dana tomorrow at 3pm', timezone: TZ });
    const task = await settle(taskId);
    expect(task).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    const said = await conversation(taskId);
    expect(said.at(-1)).toEqual(['ERROR', UNAUTHORIZED]);
    expect(await database.db.select().from(calendarEvents)).toEqual([]);
  });
});
