import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '@/lib/db/client';
import { users, type TaskStatus } from '@/lib/db/schema';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as taskService from '@/lib/services/scheduling-task.service';
import { startSchedulingWorker, stopSchedulingWorker } from '@/workers/worker';
import { processSchedulingJob, type ProcessorHooks } from './schedulingAgent.processor';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';

const TZ = 'America/New_York';
const ALL_DAY = { days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' };

describe.each(DATABASE_KINDS)('scheduling agent end to end on %s (queue -> worker -> chat)', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let userId: string;
  let inject: ProcessorHooks['beforeStep'];

  beforeAll(async () => {
    ({ database, teardown } = await useFreshDatabase(kind));
    await startSchedulingWorker({ beforeStep: (step, ctx) => inject?.(step, ctx) });
  });
  afterAll(async () => {
    await stopSchedulingWorker(5_000);
    await teardown();
  });
  beforeEach(async () => {
    inject = undefined;
    await database.db.execute(
      sql`TRUNCATE chat_messages, chat_user_cursors, scheduling_agent_tasks, calendar_events, users, user_sessions CASCADE`,
    );
    const [user] = await database.db
      .insert(users)
      .values({ email: 'ana@example.com', passwordHash: 'x', timeZone: TZ, workingHours: ALL_DAY })
      .returning();
    userId = user!.id;
  });

  async function settle(taskId: string, statuses: TaskStatus[] = ['COMPLETED', 'WAITING_FOR_USER', 'FAILED']) {
    return waitFor(
      async () => {
        const task = await taskService.getTask({ taskId, userId });
        return statuses.includes(task.status) ? task : undefined;
      },
      `task ${taskId} to reach ${statuses.join('/')}`,
    );
  }

  async function conversation(taskId: string) {
    const { messages } = await chatResponseService.getTaskMessages(taskId, userId);
    return messages.map((m) => [m.type, m.content] as const);
  }

  async function ask(request: string, extra: { taskId?: string } = {}) {
    const { taskId, status } = await taskService.submitRequest(userId, { request, timezone: TZ, ...extra });
    expect(status).toBe('QUEUED');
    return taskId;
  }

  it('books a free slot: SCHEDULING_UPDATE x2 then CONFIRMATION with the event in data', async () => {
    const taskId = await ask('book 30 min with Dana tomorrow at 3pm');
    const task = await settle(taskId);
    expect(task.status).toBe('COMPLETED');
    const { messages } = await chatResponseService.getTaskMessages(taskId, userId);
    expect(messages.map((m) => m.type)).toEqual(['SCHEDULING_UPDATE', 'SCHEDULING_UPDATE', 'CONFIRMATION']);
    expect(messages[0]!.content).toBe('Processing your request...');
    expect(messages[1]!.content).toBe('Checking availability...');
    expect(messages[2]!.content).toMatch(/^Meeting scheduled: Meeting with Dana, \w{3}, \w{3} \d{1,2}, 3:00\sPM \(30 min\)$/);
    const data = messages[2]!.data as { eventId: string; startsAt: string; endsAt: string; title: string; attendees: string[] };
    expect(data).toMatchObject({ title: 'Meeting with Dana', attendees: ['Dana'] });
    expect(new Date(data.endsAt).getTime() - new Date(data.startsAt).getTime()).toBe(30 * 60_000);
    const local = new Intl.DateTimeFormat('en-US', { timeZone: TZ, hour: 'numeric', minute: '2-digit', hourCycle: 'h23' }).format(
      new Date(data.startsAt),
    );
    expect(local).toBe('15:00');
    expect(task.result).toEqual({ eventId: data.eventId });
  });

  it('offers alternatives for a taken slot, and books the one the user picks', async () => {
    const first = await ask('book 1h with Lee tomorrow at 10am');
    expect((await settle(first)).status).toBe('COMPLETED');
    const second = await ask('schedule a call with Sam tomorrow at 10:30');
    const waiting = await settle(second);
    expect(waiting.status).toBe('WAITING_FOR_USER');
    const info = (await chatResponseService.getTaskMessages(second, userId)).messages.at(-1)!;
    expect(info.type).toBe('INFO');
    expect(info.content).toMatch(/is taken \("Meeting with Lee"\)/);
    const alternatives = (info.data as { alternatives: { start: string; end: string }[] }).alternatives;
    expect(alternatives.length).toBeGreaterThan(0);
    expect(alternatives.length).toBeLessThanOrEqual(3);

    // The answer goes to the waiting task without naming it.
    expect(await ask('the first one')).toBe(second);
    expect((await settle(second)).status).toBe('COMPLETED');
    const confirmation = (await chatResponseService.getTaskMessages(second, userId)).messages.at(-1)!;
    expect(confirmation.type).toBe('CONFIRMATION');
    expect((confirmation.data as { startsAt: string }).startsAt).toBe(alternatives[0]!.start);
  });

  it('offers alternatives outside working hours', async () => {
    await database.db.execute(sql`UPDATE users SET "workingHours" = NULL`);
    const taskId = await ask('book 30 min with Dana tomorrow at 7am');
    expect((await settle(taskId)).status).toBe('WAITING_FOR_USER');
    const info = (await chatResponseService.getTaskMessages(taskId, userId)).messages.at(-1)!;
    expect(info.type).toBe('INFO');
    expect(info.content).toMatch(/outside your working hours \(Mon-Fri 9:00 AM - 5:00 PM\)/);
  });

  it('asks for the missing time, then books with the answer', async () => {
    const taskId = await ask('set up a meeting with Lee');
    expect((await settle(taskId)).status).toBe('WAITING_FOR_USER');
    expect((await conversation(taskId)).at(-1)).toEqual([
      'CLARIFICATION',
      'When should I book "Meeting with Lee"? Tell me a day and a time, for example "tomorrow at 3pm".',
    ]);
    await ask('tomorrow at 4pm', { taskId });
    expect((await settle(taskId)).status).toBe('COMPLETED');
    const types = (await conversation(taskId)).map(([type]) => type);
    expect(types).toEqual(['SCHEDULING_UPDATE', 'CLARIFICATION', 'SCHEDULING_UPDATE', 'SCHEDULING_UPDATE', 'CONFIRMATION']);
    expect((await conversation(taskId)).at(-1)![1]).toMatch(/^Meeting scheduled: Meeting with Lee, .* 4:00\sPM \(30 min\)$/);
  });

  it("shows the user's request and answer in the task view, each timed between the agent's messages around it (issue 12)", async () => {
    const taskId = await ask('set up a meeting with Lee');
    await settle(taskId);
    await ask('tomorrow at 4pm', { taskId });
    const task = await settle(taskId);
    const view = taskService.toTaskView(task);
    expect(view.userMessages.map((m) => m.text)).toEqual(['set up a meeting with Lee', 'tomorrow at 4pm']);
    expect(view.userMessages[0]!.sentAt).toBe(task.createdAt.toISOString());
    const { messages } = await chatResponseService.getTaskMessages(taskId, userId);
    const question = messages.find((m) => m.type === 'CLARIFICATION')!;
    const afterAnswer = messages[messages.indexOf(question) + 1]!;
    const answeredAt = Date.parse(view.userMessages[1]!.sentAt);
    expect(answeredAt).toBeGreaterThanOrEqual(question.createdAt.getTime());
    expect(answeredAt).toBeLessThanOrEqual(afterAnswer.createdAt.getTime());
  });

  it('cancels the matching meeting with a CANCELLATION carrying the event id', async () => {
    const booked = await ask('book 30 min with Dana tomorrow at 3pm');
    await settle(booked);
    const eventId = (await taskService.getTask({ taskId: booked, userId })).result!.eventId;
    const taskId = await ask('cancel my 3pm with Dana tomorrow');
    expect((await settle(taskId)).status).toBe('COMPLETED');
    const last = (await chatResponseService.getTaskMessages(taskId, userId)).messages.at(-1)!;
    expect(last.type).toBe('CANCELLATION');
    expect(last.data).toEqual({ eventId });
    const rows = await database.db.execute(sql`SELECT status FROM calendar_events`);
    expect((rows as unknown as { rows: { status: string }[] }).rows).toEqual([{ status: 'CANCELLED' }]);
  });

  it('asks which one when several meetings match a cancel, and cancels the chosen one', async () => {
    await settle(await ask('book 30 min with Dana tomorrow at 3pm'));
    await settle(await ask('book 30 min with Dana tomorrow at 5pm'));
    const taskId = await ask('cancel my meeting with Dana tomorrow');
    expect((await settle(taskId)).status).toBe('WAITING_FOR_USER');
    const question = (await chatResponseService.getTaskMessages(taskId, userId)).messages.at(-1)!;
    expect(question.type).toBe('CLARIFICATION');
    expect(question.content).toMatch(
      /^Which meeting should I cancel\? 1\) Meeting with Dana, .*3:00\sPM {2}2\) Meeting with Dana, .*5:00\sPM/,
    );
    await ask('the second one');
    expect((await settle(taskId)).status).toBe('COMPLETED');
    expect((await conversation(taskId)).at(-1)![0]).toBe('CANCELLATION');
  });

  it('answers an unparseable request with a CLARIFICATION giving two examples', async () => {
    const taskId = await ask('asdfgh qwerty');
    expect((await settle(taskId)).status).toBe('WAITING_FOR_USER');
    const last = (await chatResponseService.getTaskMessages(taskId, userId)).messages.at(-1)!;
    expect(last.type).toBe('CLARIFICATION');
    expect(last.data).toEqual({ examples: ['Book 30 min with Dana tomorrow at 3pm', 'Cancel my 3pm with Dana tomorrow'] });
  });

  it('retries a processor that fails once mid-task, and the user sees each message once', async () => {
    let failures = 0;
    inject = (step, ctx) => {
      if (step === 'confirmed' && ctx.attempt === 0) {
        failures++;
        throw new Error('injected crash after booking, before confirming');
      }
    };
    const taskId = await ask('book 45 min with Kim tomorrow at 2pm');
    const task = await settle(taskId, ['COMPLETED', 'FAILED']);
    expect(failures).toBe(1);
    expect(task.status).toBe('COMPLETED');
    expect(task.attempts).toBe(2);
    expect((await conversation(taskId)).map(([type, content]) => `${type}:${content.slice(0, 20)}`)).toEqual([
      'SCHEDULING_UPDATE:Processing your requ',
      'SCHEDULING_UPDATE:Checking availabilit',
      'CONFIRMATION:Meeting scheduled: M',
    ]);
    const events = await database.db.execute(sql`SELECT count(*)::int AS n FROM calendar_events`);
    expect((events as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(1);
  });

  it('after the last of 3 attempts marks the task FAILED and sends one ERROR without internals', async () => {
    inject = (step) => {
      if (step === 'checking') throw new Error('calendar backend exploded at db.internal:5432');
    };
    const taskId = await ask('book 30 min with Dana tomorrow at 3pm');
    const task = await settle(taskId, ['FAILED', 'COMPLETED']);
    expect(task.status).toBe('FAILED');
    expect(task.attempts).toBe(3);
    expect(taskService.toTaskView(task).error).toBe('Failed to schedule meeting');
    expect(await conversation(taskId)).toEqual([
      ['SCHEDULING_UPDATE', 'Processing your request...'],
      ['ERROR', 'Failed to schedule meeting'],
    ]);
  });

  it('a cancel retried after the event was cancelled still confirms that cancellation, once', async () => {
    const booked = await ask('book 30 min with Dana tomorrow at 3pm');
    await settle(booked);
    const eventId = (await taskService.getTask({ taskId: booked, userId })).result!.eventId;
    inject = (step, ctx) => {
      if (step === 'cancelled' && ctx.attempt === 0) throw new Error('injected crash after cancelling, before telling');
    };
    const taskId = await ask('cancel my 3pm with Dana tomorrow');
    const task = await settle(taskId, ['COMPLETED', 'FAILED']);
    expect(task).toMatchObject({ status: 'COMPLETED', result: { cancelledEventId: eventId }, attempts: 2 });
    expect((await conversation(taskId)).map(([type]) => type)).toEqual(['SCHEDULING_UPDATE', 'CANCELLATION']);
  });

  it('a turn re-run after its offer was sent keeps the alternatives the user saw, even if the calendar changed', async () => {
    await settle(await ask('book 1h with Lee tomorrow at 10am'));
    const taskId = await ask('schedule a call with Sam tomorrow at 10:30');
    await settle(taskId);
    const first = (await chatResponseService.getTaskMessages(taskId, userId)).messages.at(-1)!;
    const shown = (first.data as { alternatives: Array<{ start: string; end: string }> }).alternatives;
    // The worker died after sending the offer and before saving the task; meanwhile the first
    // alternative got booked by something else. The re-run must not offer a second, different list.
    await database.db.execute(sql`UPDATE scheduling_agent_tasks SET status = 'PROCESSING', intent = NULL WHERE id = ${taskId}`);
    await database.db.execute(
      sql`INSERT INTO calendar_events (id, "userId", title, "startsAt", "endsAt") VALUES ('blocker', ${userId}, 'Blocker', ${shown[0]!.start}, ${shown[0]!.end})`,
    );
    await processSchedulingJob({ taskId, turn: 0 }, { retryCount: 1, retryLimit: 2 });
    const infos = (await chatResponseService.getTaskMessages(taskId, userId)).messages.filter((m) => m.type === 'INFO');
    expect(infos).toHaveLength(1);
    const task = await taskService.getTask({ taskId, userId });
    expect(task.status).toBe('WAITING_FOR_USER');
    expect((task.intent as { pending: { alternatives: unknown } }).pending.alternatives).toEqual(shown);
  });

  it('a late attempt of an earlier turn changes nothing once the task has moved on', async () => {
    const taskId = await ask('set up a meeting with Lee');
    await settle(taskId);
    // The user's answer is in (turn 1 queued, its job not yet picked up) when a stale turn-0 attempt runs.
    await database.db.execute(
      sql`UPDATE scheduling_agent_tasks SET answers = '["tomorrow at 4pm"]'::jsonb, status = 'QUEUED' WHERE id = ${taskId}`,
    );
    const queued = await taskService.getTask({ taskId, userId });
    await processSchedulingJob({ taskId, turn: 0 }, { retryCount: 1, retryLimit: 2 });
    expect(await taskService.getTask({ taskId, userId })).toEqual(queued);
    expect(await conversation(taskId)).toHaveLength(2);
  });

  it('while a question waits, new requests start their own tasks and a way out closes it (issue 12)', async () => {
    const waiting = await ask('set up a meeting with Lee');
    expect((await settle(waiting)).status).toBe('WAITING_FOR_USER');
    const others: string[] = [];
    for (const request of ["what's on my calendar this week?", 'cancel my meeting with Dana', 'set something up']) {
      const taskId = await ask(request);
      expect(taskId).not.toBe(waiting);
      others.push(taskId);
      await settle(taskId);
    }
    // Both questions are open; a way out goes to the newest one, or to the one it names.
    expect((await taskService.getTask({ taskId: waiting, userId })).status).toBe('WAITING_FOR_USER');
    expect(await ask('never mind')).toBe(others[2]);
    expect((await settle(others[2]!)).status).toBe('COMPLETED');
    expect(await ask('cancel that', { taskId: waiting })).toBe(waiting);
    expect((await settle(waiting)).status).toBe('COMPLETED');
    expect((await conversation(waiting)).at(-1)).toEqual(['INFO', 'OK. I dropped that question; nothing was changed.']);
  });

  it('an answer and a new request sent at once from two tabs each reach their own task (issue 12)', async () => {
    const waiting = await ask('set up a meeting with Lee');
    await settle(waiting);
    const [answered, other] = await Promise.all([ask('tomorrow at 4pm'), ask("what's on my calendar tomorrow?")]);
    expect(answered).toBe(waiting);
    expect(other).not.toBe(waiting);
    expect((await settle(waiting, ['COMPLETED', 'FAILED'])).status).toBe('COMPLETED');
    expect((await settle(other, ['COMPLETED', 'FAILED'])).status).toBe('COMPLETED');
    expect((await conversation(other)).at(-1)![0]).toBe('INFO');
  });

  it("keeps each user's tasks their own", async () => {
    const taskId = await ask('book 30 min with Dana tomorrow at 3pm');
    await expect(taskService.getTask({ taskId, userId: 'someone-else' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
