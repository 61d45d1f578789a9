import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { stopBoss } from '@/lib/jobs/queue';
import * as escalationRepository from '@/lib/repositories/chat-escalation.repository';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { createScratchPostgres, queryRows, type ScratchPostgres } from '@test/helpers/test-db';
import { waitFor } from '@test/helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from '@test/helpers/webhook-receiver';
import { startWorkerProcess } from '@test/helpers/worker-process';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

// A worker process killed with SIGKILL while its escalation POST is in flight (the receiver holds
// the request open): the job expires, a second worker delivers it, and the receiver ends up with
// exactly one acknowledged delivery, under the one delivery id both attempts carried.
describe.skipIf(!hasPostgres)('escalation: worker killed mid-delivery (PostgreSQL)', () => {
  let scratch: ScratchPostgres;
  let database: Database;
  let receiver: WebhookReceiver;
  let env: NodeJS.ProcessEnv;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused' });
    setDatabase(database);
    // The first request hangs (its worker is killed while waiting); every later one is answered 200.
    receiver = await startWebhookReceiver((_req, earlier) => (earlier.length === 0 ? 'hang' : 200));
    const settings = {
      ESCALATION_WEBHOOK_URL: receiver.url,
      ESCALATION_WEBHOOK_SECRET: 'escalation-secret-0123456789',
      ESCALATE_AFTER: '1s',
      // Longer than the kill takes, so the first worker is still waiting when it dies; the job
      // then expires after max(AGENT_JOB_EXPIRE_SECONDS, timeout + 1 s) = 6 s.
      ESCALATION_WEBHOOK_TIMEOUT_MS: '5000',
      AGENT_JOB_EXPIRE_SECONDS: '2',
      AGENT_MAINTENANCE_INTERVAL_SECONDS: '1',
    };
    // The queue's options are set by whichever process creates it, this one included.
    for (const [k, v] of Object.entries(settings)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    resetEnvCache();
    env = { ...process.env, ...settings, DATABASE_URL: scratch.url, LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '1' };
  });
  afterAll(async () => {
    await stopBoss(1_000);
    await closeDatabase();
    await scratch?.drop();
    await receiver?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetEnvCache();
  });

  it('delivers exactly once after the worker holding the delivery is killed', async () => {
    const first = startWorkerProcess(env);
    const sent = await chatResponseService.sendChatMessage({ type: 'error', userId: 'k1', content: 'Could not book', priority: 'urgent' });
    expect(sent.success).toBe(true);
    await waitFor(async () => (receiver.requests.length >= 1 ? true : undefined), 'the first delivery attempt to reach the receiver');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await escalationRepository.selectEscalation(database.db, sent.messageId!)).toMatchObject({ status: 'PENDING' });

    const second = startWorkerProcess(env);
    try {
      const row = await waitFor(
        async () => {
          const r = await escalationRepository.selectEscalation(database.db, sent.messageId!);
          return r?.status === 'DELIVERED' ? r : undefined;
        },
        'the escalation to be delivered by the second worker',
        60_000,
      );
      await waitFor(async () => {
        const jobs = await queryRows<{ state: string }>(
          database,
          sql`SELECT state FROM pgboss.job WHERE name = 'chat-escalation' AND data->>'messageId' = ${sent.messageId!}`,
        );
        return jobs[0]?.state === 'completed' ? true : undefined;
      }, 'the escalation job to complete');
      // Two requests reached the receiver (the killed one and the retry), one answered 2xx, both
      // under the same delivery id: a receiver de-duplicating by it sees one delivery.
      expect(receiver.requests).toHaveLength(2);
      const ids = receiver.requests.map((r) => r.headers['x-chat-delivery-id']);
      expect(ids).toEqual([row.deliveryId, row.deliveryId]);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });
});
