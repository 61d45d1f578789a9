import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '@/lib/db/client';
import { users, type TaskStatus } from '@/lib/db/schema';
import * as fanout from '@/lib/realtime/fanout';
import type { HubEvent } from '@/lib/realtime/hub';
import type { ActivityPayload } from '@/lib/schemas/activity';
import * as attachmentService from '@/lib/services/attachment.service';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as taskService from '@/lib/services/scheduling-task.service';
import { startSchedulingWorker, stopSchedulingWorker } from '@/workers/worker';
import { DATABASE_KINDS, useFreshDatabase } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';

const TZ = 'America/New_York';
const ALL_DAY = { days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' };

/** Unfolded iCalendar content lines. */
const lines = (ics: string) => ics.replace(/\r\n[ \t]/g, '').split('\r\n');

describe.each(DATABASE_KINDS)('the agent attaches calendar invites and reports its activity, on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let userId: string;
  const heard: HubEvent[] = [];
  /** The agent activities the fan-out handed to the subscriber (SSE event `activity`). */
  const activities = () =>
    heard.flatMap((e) => (e.kind === 'ephemeral' && e.event === 'activity' ? [e.data as unknown as ActivityPayload] : []));
  let unsubscribe: () => void = () => {};

  beforeAll(async () => {
    ({ database, teardown } = await useFreshDatabase(kind));
    await startSchedulingWorker();
  });
  afterAll(async () => {
    unsubscribe();
    await stopSchedulingWorker(5_000);
    await fanout.stopFanout();
    await teardown();
  });
  beforeEach(async () => {
    unsubscribe();
    heard.length = 0;
    await database.db.execute(
      sql`TRUNCATE chat_messages, chat_user_cursors, chat_attachments, chat_attachment_blobs, scheduling_agent_tasks, calendar_events, users, user_sessions CASCADE`,
    );
    const [user] = await database.db
      .insert(users)
      .values({ email: 'ana@example.com', passwordHash: 'x', timeZone: TZ, workingHours: ALL_DAY })
      .returning();
    userId = user!.id;
    // A live subscriber of the fan-out, as an open stream is: it hears what every instance announces.
    unsubscribe = fanout.subscribe(userId, { cursor: () => null, deliver: () => {}, onEvent: (event) => heard.push(event) });
  });

  async function settle(taskId: string, statuses: TaskStatus[] = ['COMPLETED', 'WAITING_FOR_USER', 'FAILED']) {
    return waitFor(async () => {
      const task = await taskService.getTask({ taskId, userId });
      return statuses.includes(task.status) ? task : undefined;
    }, `task ${taskId} to settle`);
  }

  async function ask(request: string) {
    const { taskId } = await taskService.submitRequest(userId, { request, timezone: TZ });
    return taskId;
  }

  async function fileOf(messageAttachmentId: string): Promise<string> {
    const download = await attachmentService.getAttachmentDownload({ id: messageAttachmentId, userId });
    if (download?.kind !== 'body') throw new Error('expected the file in the database');
    return download.body.toString('utf8');
  }

  it('a booking confirmation carries a METHOD:REQUEST invite, its cancellation a METHOD:CANCEL one for the same UID', async () => {
    const booked = await ask('book 30 min with Dana tomorrow at 3pm');
    expect((await settle(booked)).status).toBe('COMPLETED');
    const confirmation = (await chatResponseService.getTaskMessages(booked, userId)).messages.find((m) => m.type === 'CONFIRMATION')!;
    expect(confirmation.attachments).toEqual([
      {
        id: expect.any(String),
        filename: 'invite.ics',
        contentType: 'text/calendar; charset=utf-8; method=request',
        size: expect.any(Number),
      },
    ]);
    const invite = lines(await fileOf(confirmation.attachments[0]!.id));
    expect(invite).toContain('METHOD:REQUEST');
    expect(invite).toContain('SUMMARY:Meeting with Dana');
    const start = new Date((confirmation.data as { startsAt: string }).startsAt)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    expect(invite).toContain(`DTSTART:${start}`);
    const uid = invite.find((l) => l.startsWith('UID:'))!;

    const cancelled = await ask('cancel my 3pm with Dana tomorrow');
    expect((await settle(cancelled)).status).toBe('COMPLETED');
    const cancellation = (await chatResponseService.getTaskMessages(cancelled, userId)).messages.find((m) => m.type === 'CANCELLATION')!;
    expect(cancellation.attachments.map((a) => a.filename)).toEqual(['cancel.ics']);
    const cancel = lines(await fileOf(cancellation.attachments[0]!.id));
    expect(cancel).toContain('METHOD:CANCEL');
    expect(cancel).toContain(uid);
  });

  it('reports thinking, checking availability and booking while it works, then idle; nothing of it is stored', async () => {
    const taskId = await ask('book 30 min with Dana tomorrow at 3pm');
    await settle(taskId);
    const states = await waitFor(async () => {
      const seen = activities().flatMap((a) => (a.taskId === taskId ? [a.state] : []));
      return seen.includes('idle') ? seen : undefined;
    }, 'the idle activity');
    expect(states).toEqual(['thinking', 'checking_availability', 'booking', 'idle']);
    expect(activities()[0]).toMatchObject({ label: 'Thinking…', ttlMs: 10_000 });
    // The stored conversation is the same as without activities.
    const { messages } = await chatResponseService.getTaskMessages(taskId, userId);
    expect(messages.map((m) => m.type)).toEqual(['SCHEDULING_UPDATE', 'SCHEDULING_UPDATE', 'CONFIRMATION']);
  });

  it('sendActivity refuses a bad state or label naming the field, and sends nothing', async () => {
    const bad = await chatResponseService.sendActivity({ userId, taskId: 't1', state: 'napping' as 'idle' });
    expect(bad).toMatchObject({ success: false, streamsSent: false });
    expect(bad.error).toMatch(/state: must be one of thinking, checking_availability, booking, idle/);
    const long = await chatResponseService.sendActivity({ userId, taskId: 't1', state: 'thinking', label: 'x'.repeat(201) });
    expect(long.error).toMatch(/label: must be at most 200 characters/);
    const ok = await chatResponseService.sendActivity({ userId, taskId: 't1', state: 'booking', label: 'Booking the room' });
    expect(ok).toEqual({ success: true, streamsSent: true, pusherSent: false });
    const received = await waitFor(async () => activities()[0], 'the activity');
    expect(received).toMatchObject({ taskId: 't1', state: 'booking', label: 'Booking the room' });
    expect(activities()).toHaveLength(1);
  });
});
