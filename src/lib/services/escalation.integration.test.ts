import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import * as escalationRepository from '@/lib/repositories/chat-escalation.repository';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { startSchedulingWorker, stopSchedulingWorker } from '@/workers/worker';
import { DATABASE_KINDS, queryRows, useFreshDatabase } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from '@test/helpers/webhook-receiver';

// Escalation of unread HIGH/URGENT messages through the real queue (pg-boss on each database,
// worked in this process) to a real HTTP receiver on loopback.

const SECRET = 'escalation-secret-0123456789';

describe.each(DATABASE_KINDS)('escalation webhook on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let receiver: WebhookReceiver;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    const vars = {
      ESCALATION_WEBHOOK_URL: receiver.url,
      ESCALATION_WEBHOOK_SECRET: SECRET,
      // URGENT is due at once for the delivery tests; HIGH leaves time to read it first.
      ESCALATE_AFTER: 'URGENT=1s,HIGH=4s',
      ESCALATION_WEBHOOK_TIMEOUT_MS: '2000',
      AGENT_MAINTENANCE_INTERVAL_SECONDS: '1',
    };
    for (const [k, v] of Object.entries(vars)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    resetEnvCache();
    ({ database, teardown } = await useFreshDatabase(kind));
    await startSchedulingWorker({});
  });
  afterAll(async () => {
    await stopSchedulingWorker(5_000);
    await teardown();
    await receiver.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetEnvCache();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.setReply(() => 200);
  });

  const requestsFor = (messageId: string) =>
    receiver.requests.filter((r) => (JSON.parse(r.body) as { message: { id: string } }).message.id === messageId);

  /** The pg-boss state of the message's escalation job once it is final (no attempt can follow). */
  async function jobSettled(messageId: string): Promise<string> {
    return waitFor(async () => {
      const rows = await queryRows<{ state: string }>(
        database,
        sql`SELECT state FROM pgboss.job WHERE name = 'chat-escalation' AND data->>'messageId' = ${messageId}`,
      );
      const state = rows[0]?.state;
      return state === 'completed' || state === 'failed' || state === 'cancelled' ? state : undefined;
    }, `the escalation job of ${messageId} to end`);
  }

  it('POSTs an unread URGENT message once, signed over the raw body, with its delivery id', async () => {
    const sent = await chatResponseService.sendChatMessage({
      type: 'error',
      userId: 'u1',
      taskId: 't1',
      content: 'Booking failed',
      priority: 'urgent',
    });
    expect(sent.success).toBe(true);
    expect(await jobSettled(sent.messageId!)).toBe('completed');
    const [request, ...more] = requestsFor(sent.messageId!);
    expect(more).toEqual([]);
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    const expected = `sha256=${createHmac('sha256', SECRET).update(request!.body).digest('hex')}`;
    expect(request!.headers['x-chat-signature']).toBe(expected);
    const body = JSON.parse(request!.body) as { deliveryId: string; event: string; message: Record<string, unknown> };
    expect(request!.headers['x-chat-delivery-id']).toBe(body.deliveryId);
    expect(body).toMatchObject({
      event: 'chat-message.escalated',
      message: {
        id: sent.messageId,
        userId: 'u1',
        taskId: 't1',
        type: 'ERROR',
        priority: 'URGENT',
        content: 'Booking failed',
        read: false,
      },
    });
    const row = await escalationRepository.selectEscalation(database.db, sent.messageId!);
    expect(row).toMatchObject({ status: 'DELIVERED', deliveryId: body.deliveryId, attempts: 1 });
    expect(row!.deliveredAt).toBeInstanceOf(Date);
  });

  it('retries a receiver that fails twice, then stops after its 2xx: three requests, one delivery id', async () => {
    receiver.setReply((_req, earlier) => (earlier.length < 2 ? 503 : 200));
    const sent = await chatResponseService.sendChatMessage({ type: 'info', userId: 'u2', content: 'Dana is waiting', priority: 'URGENT' });
    expect(await jobSettled(sent.messageId!)).toBe('completed');
    const requests = requestsFor(sent.messageId!);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['x-chat-delivery-id'])).size).toBe(1);
    // Each attempt is signed; the body is the same text every time.
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    expect(await escalationRepository.selectEscalation(database.db, sent.messageId!)).toMatchObject({ status: 'DELIVERED', attempts: 3 });
  });

  it('sends nothing for a HIGH message read before it is due, and records the cancellation', async () => {
    const sent = await chatResponseService.sendChatMessage({ type: 'info', userId: 'u3', content: 'Please confirm', priority: 'high' });
    await chatResponseService.markMessagesAsRead([sent.messageId!], 'u3');
    expect(await jobSettled(sent.messageId!)).toBe('completed');
    expect(requestsFor(sent.messageId!)).toEqual([]);
    expect(await escalationRepository.selectEscalation(database.db, sent.messageId!)).toMatchObject({ status: 'CANCELLED', attempts: 0 });
  });

  it('schedules nothing for LOW and NORMAL messages', async () => {
    const low = await chatResponseService.sendChatMessage({ type: 'info', userId: 'u4', content: 'fyi', priority: 'low' });
    const normal = await chatResponseService.sendChatMessage({ type: 'info', userId: 'u4', content: 'fyi' });
    const rows = await queryRows<{ n: number }>(
      database,
      sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'chat-escalation' AND data->>'messageId' IN (${low.messageId!}, ${normal.messageId!})`,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('sends nothing for a message deleted (purged) before it is due', async () => {
    const sent = await chatResponseService.sendChatMessage({ type: 'info', userId: 'u5', content: 'gone soon', priority: 'high' });
    await database.db.execute(sql`DELETE FROM chat_messages WHERE id = ${sent.messageId!}`);
    expect(await jobSettled(sent.messageId!)).toBe('completed');
    expect(requestsFor(sent.messageId!)).toEqual([]);
  });
});
