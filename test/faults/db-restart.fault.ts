import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { queryRows } from '@test/helpers/test-db';
import { hasPgBinaries, startPgCluster, type PgCluster } from './pg-cluster';
import { report, sessionCookie, sleep, tally } from './support';

// PostgreSQL stops for 5 s while senders (the service, in this process) and pollers (HTTP against
// `next start`) keep going, then starts again. Nothing restarts the app.

const SENDERS = 8;
const POLLERS = 20;
const POLL_EVERY_MS = 250; // 4 requests/s per user: inside the 300-per-minute budget
const OUTAGE_MS = 5_000;
/** The pool's connectionTimeoutMillis (src/lib/db/client.ts): the longest a send may wait for a connection. */
const POOL_CONNECT_TIMEOUT_MS = 5_000;

interface SendRecord {
  content: string;
  startedAt: number;
  endedAt: number;
  success: boolean;
  messageId?: string;
  error?: string;
}

describe.skipIf(!hasPgBinaries())('PostgreSQL restart under load', () => {
  let cluster: PgCluster;
  let app: AppServer;
  let database: Database;

  beforeAll(async () => {
    cluster = await startPgCluster();
    process.env.TEST_DATABASE_URL = cluster.url();
    app = await startApp({ kind: 'postgres' });
    database = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused', poolSize: 10 });
    setDatabase(database);
  });
  afterAll(async () => {
    await closeDatabase().catch(() => {});
    await app?.dispose().catch(() => {});
    await cluster?.destroy();
  });

  it('fails fast while it is down, answers 503, and afterwards works with every successful send stored once', async () => {
    const cookies = await Promise.all(Array.from({ length: POLLERS }, (_, i) => sessionCookie(`restart_poller_${i}`)));
    const sends: SendRecord[] = [];
    const polls: Array<{ at: number; status: number | string }> = [];
    let thrown = 0;
    let running = true;
    let downAt = Infinity;
    let upAt = Infinity;
    let startingAt = Infinity;

    const senders = Array.from({ length: SENDERS }, async (_, w) => {
      for (let i = 0; running; i++) {
        const content = `sender ${w} message ${i}`;
        const startedAt = Date.now();
        try {
          const result = await chatResponseService.sendChatMessage({ type: 'info', userId: `restart_user_${w}`, content });
          sends.push({
            content,
            startedAt,
            endedAt: Date.now(),
            success: result.success,
            messageId: result.messageId,
            error: result.error,
          });
          if (!result.success) await sleep(20);
        } catch {
          thrown++;
        }
      }
    });
    const pollers = Array.from({ length: POLLERS }, async (_, p) => {
      while (running) {
        const at = Date.now();
        try {
          const response = await fetch(`${app.baseUrl}/api/chat-messages?limit=10`, { headers: { cookie: cookies[p]! } });
          await response.arrayBuffer();
          polls.push({ at, status: response.status });
        } catch (err) {
          polls.push({ at, status: (err as Error).message });
        }
        await sleep(POLL_EVERY_MS);
      }
    });

    await sleep(3_000);
    await cluster.stop('fast');
    downAt = Date.now();
    await sleep(OUTAGE_MS);
    startingAt = Date.now();
    await cluster.start();
    upAt = Date.now();
    // Recovery without restarting anything: a send succeeds and a poll answers 200 again.
    const recoveryDeadline = Date.now() + 60_000;
    const recovered = () => sends.some((s) => s.startedAt > upAt && s.success) && polls.some((p) => p.at > upAt && p.status === 200);
    while (!recovered() && Date.now() < recoveryDeadline) await sleep(100);
    const recoveredAt = Date.now();
    await sleep(3_000);
    running = false;
    await Promise.all([...senders, ...pollers]);

    // While it was down: requests begun after the stop returned and finished before the start began
    // (pg_ctl start returns only after PostgreSQL accepts connections, so later ones may succeed).
    const duringOutage = sends.filter((s) => s.startedAt > downAt && s.endedAt < startingAt);
    const outagePolls = polls.filter((p) => p.at > downAt && p.at < startingAt - POLL_EVERY_MS);
    const slowestOutageSend = Math.max(0, ...duringOutage.map((s) => s.endedAt - s.startedAt));

    // Every send that said success:true is stored, once.
    const succeeded = sends.filter((s) => s.success);
    const stored = await queryRows<{ content: string; n: number }>(
      database,
      sql`SELECT content, count(*)::int AS n FROM chat_messages WHERE "userId" LIKE 'restart_user_%' GROUP BY content`,
    );
    const storedCount = new Map(stored.map((r) => [r.content, r.n]));
    const lost = succeeded.filter((s) => !storedCount.has(s.content)).length;
    const duplicated = stored.filter((r) => r.n > 1).length;
    const failedButStored = sends.filter((s) => !s.success && storedCount.has(s.content)).length;

    report('PostgreSQL restart under load', {
      load: `${SENDERS} senders (sendChatMessage, closed loop) + ${POLLERS} pollers (GET /api/chat-messages every ${POLL_EVERY_MS} ms)`,
      fault: `pg_ctl stop -m fast, ${OUTAGE_MS / 1000} s down, pg_ctl start; app not restarted`,
      sends: sends.length,
      'sends ok / failed': `${succeeded.length} / ${sends.length - succeeded.length}`,
      'sends during the outage': `${duringOutage.length}, all success:false: ${duringOutage.every((s) => !s.success)}, slowest ${slowestOutageSend} ms`,
      'outage send errors': tally(duringOutage.map((s) => (s.error ?? '').replace(/^Failed to store chat message: /, '').slice(0, 60))),
      'thrown by sendChatMessage': thrown,
      polls: polls.length,
      'poll statuses (whole run)': tally(polls.map((p) => p.status)),
      'poll statuses (outage)': tally(outagePolls.map((p) => p.status)),
      'recovered after start': `${recoveredAt - upAt} ms`,
      'messages checked': succeeded.length,
      lost,
      duplicated,
      'failed sends stored anyway (commit acknowledgement lost)': failedButStored,
    });

    expect(thrown).toBe(0);
    expect(duringOutage.length).toBeGreaterThan(0);
    expect(duringOutage.every((s) => !s.success && typeof s.error === 'string')).toBe(true);
    expect(slowestOutageSend).toBeLessThanOrEqual(POOL_CONNECT_TIMEOUT_MS + 1_000);
    expect(outagePolls.length).toBeGreaterThan(0);
    expect(new Set(outagePolls.map((p) => p.status))).toEqual(new Set([503]));
    expect(polls.every((p) => p.status === 200 || p.status === 503)).toBe(true);
    expect(recovered()).toBe(true);
    expect(sends.filter((s) => s.startedAt > recoveredAt).every((s) => s.success)).toBe(true);
    expect(polls.filter((p) => p.at > recoveredAt).every((p) => p.status === 200)).toBe(true);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    // The app process is the one started before the fault: it answers on its port without a restart.
    expect((await fetch(`${app.baseUrl}/api/auth/csrf`)).status).toBe(200);
  });
});
