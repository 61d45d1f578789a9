import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import type { Database } from '@/lib/db/client';
import * as escalationRepository from '@/lib/repositories/chat-escalation.repository';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as retentionService from '@/lib/services/retention.service';
import { startSchedulingWorker, stopSchedulingWorker } from '@/workers/worker';
import { runCli } from '@test/helpers/app-server';
import { waitFor } from '@test/helpers/wait';
import { createScratchPostgres, DATABASE_KINDS, queryRows, useFreshDatabase } from '@test/helpers/test-db';

// Retention per message type through the service on both databases: what expires goes, whole
// (rows pointing to it too), in bounded batches; positions are never handed out again; a client
// holding an expired message gets nothing for it and a replay skips it.

const RULES = 'SCHEDULING_UPDATE=7d,INFO=30d,default=365d';
const DAY = 86_400_000;

function withEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  resetEnvCache();
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetEnvCache();
  };
}

describe.each(DATABASE_KINDS)('retention per message type on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = withEnv({ CHAT_RETENTION: RULES, CHAT_RETENTION_BATCH_SIZE: '3' });
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => {
    restoreEnv();
    await teardown();
  });
  beforeEach(async () => {
    await database.db.execute(sql`TRUNCATE chat_messages, chat_user_cursors CASCADE`);
  });

  /** Sends a message and moves its createdAt `ageDays` into the past. */
  async function sendAged(type: string, ageDays: number, userId = 'u1', content = `${type} ${ageDays}d`) {
    const result = await chatResponseService.sendChatMessage({ type, userId, taskId: 't1', content });
    expect(result.success).toBe(true);
    await database.db.execute(
      sql`UPDATE chat_messages SET "createdAt" = ${new Date(Date.now() - ageDays * DAY).toISOString()}::timestamptz WHERE id = ${result.messageId!}`,
    );
    return result;
  }

  async function remaining(): Promise<string[]> {
    const rows = await queryRows<{ content: string }>(database, sql`SELECT content FROM chat_messages ORDER BY position`);
    return rows.map((r) => r.content);
  }

  it('deletes each type after its own rule and the others after the default, reporting counts by type', async () => {
    await sendAged('SCHEDULING_UPDATE', 8);
    await sendAged('SCHEDULING_UPDATE', 6);
    await sendAged('INFO', 31);
    await sendAged('INFO', 29);
    await sendAged('CONFIRMATION', 366);
    await sendAged('CONFIRMATION', 364);
    const result = await retentionService.purgeExpiredMessages();
    expect(result).toEqual({ deleted: 3, byType: { SCHEDULING_UPDATE: 1, INFO: 1, CONFIRMATION: 1 } });
    expect(await remaining()).toEqual(['SCHEDULING_UPDATE 6d', 'INFO 29d', 'CONFIRMATION 364d']);
  });

  it('deletes in batches of CHAT_RETENTION_BATCH_SIZE until nothing expired is left', async () => {
    for (let i = 0; i < 8; i++) await sendAged('INFO', 40, 'u1', `old ${i}`);
    await sendAged('INFO', 1, 'u1', 'fresh');
    const batches: number[] = [];
    const hook = async (_db: unknown, deleted: Array<{ id: string }>) => void batches.push(deleted.length);
    retentionService.onMessagesPurged(hook);
    const result = await retentionService.purgeExpiredMessages();
    expect(result).toEqual({ deleted: 8, byType: { INFO: 8 } });
    // 3 + 3 + 2 for INFO; the other types found nothing.
    expect(batches.filter((n) => n > 0)).toEqual([3, 3, 2]);
    expect(await remaining()).toEqual(['fresh']);
  });

  it('deletes the rows that point to an expired message with it (its escalation record)', async () => {
    const old = await sendAged('INFO', 40);
    await escalationRepository.claimEscalation(database.db, old.messageId!);
    await retentionService.purgeExpiredMessages();
    const rows = await queryRows<{ n: number }>(database, sql`SELECT count(*)::int AS n FROM chat_escalations`);
    expect(rows[0]!.n).toBe(0);
  });

  it("deletes an expired message's attachments with it, rows and bytes, and keeps a live message's", async () => {
    const file = (name: string) => ({ filename: name, contentType: 'text/plain', content: `bytes of ${name}` });
    const old = await chatResponseService.sendChatMessage({
      type: 'INFO',
      userId: 'u1',
      taskId: 't1',
      content: 'old with files',
      attachments: [file('a.txt'), file('b.txt')],
    });
    const live = await chatResponseService.sendChatMessage({
      type: 'INFO',
      userId: 'u1',
      taskId: 't1',
      content: 'live with a file',
      attachments: [file('c.txt')],
    });
    expect(old.success && live.success).toBe(true);
    await database.db.execute(
      sql`UPDATE chat_messages SET "createdAt" = ${new Date(Date.now() - 31 * DAY).toISOString()}::timestamptz WHERE id = ${old.messageId!}`,
    );
    const counts = async () => {
      const [rows] = await queryRows<{ files: number; blobs: number }>(
        database,
        sql`SELECT (SELECT count(*)::int FROM chat_attachments) AS files, (SELECT count(*)::int FROM chat_attachment_blobs) AS blobs`,
      );
      return rows;
    };
    expect(await counts()).toEqual({ files: 3, blobs: 3 });
    expect(await retentionService.purgeExpiredMessages()).toEqual({ deleted: 1, byType: { INFO: 1 } });
    expect(await counts()).toEqual({ files: 1, blobs: 1 });
  });

  it('never hands out a purged position again, and the last position does not move back', async () => {
    await sendAged('INFO', 40);
    const newest = await sendAged('INFO', 40);
    await retentionService.purgeExpiredMessages();
    expect(await remaining()).toEqual([]);
    expect(await chatResponseService.getLastPosition('u1')).toEqual({ position: newest.position });
    const next = await chatResponseService.sendInfo('t1', 'u1', 'after the purge');
    expect(next.position).toBe(newest.position! + 1);
  });

  it('answers an expired message as missing (404 by id) and replays around it', async () => {
    const first = await sendAged('INFO', 1);
    const expired = await sendAged('INFO', 40);
    const last = await sendAged('INFO', 1);
    await retentionService.purgeExpiredMessages();
    expect(await chatResponseService.getMessageById({ id: expired.messageId!, userId: 'u1' })).toBeNull();
    const replay = await chatResponseService.getMessagesAfter('u1', 0, 100);
    expect(replay.messages.map((m) => m.position)).toEqual([first.position, last.position]);
    const fromExpired = await chatResponseService.getMessagesAfter('u1', expired.position!, 100);
    expect(fromExpired.messages.map((m) => m.id)).toEqual([last.messageId]);
  });

  it('keeps messages sent while a pass runs (they are newer than every cutoff)', async () => {
    for (let i = 0; i < 12; i++) await sendAged('SCHEDULING_UPDATE', 10, `u${i % 3}`, `old ${i}`);
    const sends = Array.from({ length: 12 }, (_, i) => chatResponseService.sendSchedulingUpdate('t1', `u${i % 3}`, `new ${i}`));
    const [result, ...sent] = await Promise.all([retentionService.purgeExpiredMessages({ batchSize: 2 }), ...sends]);
    expect(sent.every((r) => r.success)).toBe(true);
    expect(result.deleted).toBe(12);
    expect((await remaining()).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `new ${i}`).sort());
  });

  it('deletes nothing without CHAT_RETENTION', async () => {
    await sendAged('INFO', 5000);
    const restore = withEnv({ CHAT_RETENTION: '' });
    try {
      expect(await retentionService.purgeExpiredMessages()).toEqual({ deleted: 0, byType: {} });
    } finally {
      restore();
    }
    expect(await remaining()).toHaveLength(1);
  });

  it('tells the rules in force', () => {
    expect(retentionService.getRetentionRules()).toEqual({
      keepForever: false,
      rules: [
        { type: 'SCHEDULING_UPDATE', keepFor: '7d', seconds: 604_800, source: 'type' },
        { type: 'CONFIRMATION', keepFor: '365d', seconds: 31_536_000, source: 'default' },
        { type: 'CLARIFICATION', keepFor: '365d', seconds: 31_536_000, source: 'default' },
        { type: 'CANCELLATION', keepFor: '365d', seconds: 31_536_000, source: 'default' },
        { type: 'ERROR', keepFor: '365d', seconds: 31_536_000, source: 'default' },
        { type: 'INFO', keepFor: '30d', seconds: 2_592_000, source: 'type' },
      ],
    });
  });
});

// npm run chat:purge on each database: one pass, printed as { deleted, byType }.
describe.each(DATABASE_KINDS)('npm run chat:purge on %s', (kind) => {
  it('deletes what expired and prints { deleted, byType }', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-purge-'));
    const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'silent',
      DATABASE_URL: scratch?.url ?? '',
      PGLITE_DIR: path.join(dir, 'db'),
      CHAT_RETENTION: 'INFO=1s',
    };
    try {
      const sent = await runCli(env, 'chat-send.ts', ['--user', 'u1', '--type', 'info', '--content', 'soon gone', '--priority', 'high']);
      expect(sent).toMatchObject({ code: 0, output: { success: true } });
      const kept = await runCli(env, 'chat-send.ts', ['--user', 'u1', '--type', 'confirmation', '--content', 'kept']);
      expect(kept.code).toBe(0);
      // The INFO message is older than 1 s once a CLI has started again; a pass before that finds nothing yet.
      let purged = await runCli(env, 'chat-purge.ts', []);
      if (purged.output.deleted === 0) purged = await runCli(env, 'chat-purge.ts', []);
      expect(purged).toEqual({ code: 0, output: { deleted: 1, byType: { INFO: 1 } } });
      const again = await runCli(env, 'chat-purge.ts', []);
      expect(again).toEqual({ code: 0, output: { deleted: 0, byType: {} } });
    } finally {
      await scratch?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad CHAT_RETENTION naming the variable', async () => {
    const result = await runCli(
      { ...process.env, LOG_LEVEL: 'silent', PGLITE_DIR: 'memory://', CHAT_RETENTION: 'INFO=soon' },
      'chat-purge.ts',
      [],
    );
    expect(result.code).toBe(1);
    expect(String(result.output.error)).toMatch(/CHAT_RETENTION: /);
  });
});

// The recurring job: a worker with CHAT_RETENTION purges on its own, every CHAT_RETENTION_INTERVAL.
describe.each(DATABASE_KINDS)('the recurring retention job on %s', (kind) => {
  let database: Database;
  let teardown: () => Promise<void>;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = withEnv({ CHAT_RETENTION: 'INFO=1d', CHAT_RETENTION_INTERVAL: '1s', AGENT_MAINTENANCE_INTERVAL_SECONDS: '1' });
    ({ database, teardown } = await useFreshDatabase(kind));
  });
  afterAll(async () => {
    await stopSchedulingWorker(5_000);
    await teardown();
    restoreEnv();
  });

  it('deletes a message once it expires, without anyone running a purge', async () => {
    await startSchedulingWorker({});
    const kept = await chatResponseService.sendInfo('t1', 'u1', 'fresh');
    // Stored two days ago: expired for INFO=1d as soon as the next slot's job runs.
    const old = await chatResponseService.sendInfo('t1', 'u1', 'old');
    await database.db.execute(sql`UPDATE chat_messages SET "createdAt" = now() - interval '2 days' WHERE id = ${old.messageId!}`);
    await waitFor(
      async () => ((await chatResponseService.getMessageById({ id: old.messageId!, userId: 'u1' })) === null ? true : undefined),
      'the recurring job to delete the expired message',
    );
    expect(await chatResponseService.getMessageById({ id: kept.messageId!, userId: 'u1' })).not.toBeNull();
  });
});
