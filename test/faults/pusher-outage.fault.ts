import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { resetPusher } from '@/lib/realtime/pusher';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { startFakePusher } from '../helpers/fake-pusher';
import { createScratchPostgres, queryRows, type ScratchPostgres } from '../helpers/test-db';
import { hasPgBinaries, startPgCluster, type PgCluster } from './pg-cluster';
import { report } from './support';

// A Pusher-protocol endpoint that answers, then fails (HTTP 500), then hangs (never answers),
// then answers again, while senders keep sending: every send finishes within its timeout, is
// stored, and reports pusherSent:false while Pusher is out.

const PUSHER = { appId: '4242', key: 'fault-key', secret: 'fault-secret', cluster: 'mt1' };
const TIMEOUT_MS = 1_000; // PUSHER_TIMEOUT_MS for this test
/** publishToPusher gives up at PUSHER_TIMEOUT_MS + 500 ms even if the SDK does not; the rest is scheduling slack. */
const SEND_BOUND_MS = TIMEOUT_MS + 500 + 1_500;
const CONCURRENCY = 20;

interface Sent {
  phase: string;
  ms: number;
  success: boolean;
  databaseStored: boolean;
  pusherSent: boolean;
  messageId?: string;
}

describe.skipIf(!hasPgBinaries())('Pusher outage under load', () => {
  let cluster: PgCluster;
  let scratch: ScratchPostgres;
  let database: Database;
  let fake: Awaited<ReturnType<typeof startFakePusher>>;

  beforeAll(async () => {
    cluster = await startPgCluster();
    process.env.TEST_DATABASE_URL = cluster.url();
    scratch = await createScratchPostgres();
    database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused', poolSize: 10 });
    setDatabase(database);
    fake = await startFakePusher(PUSHER.appId, PUSHER.key, PUSHER.secret);
    Object.assign(process.env, {
      PUSHER_APP_ID: PUSHER.appId,
      PUSHER_KEY: PUSHER.key,
      PUSHER_SECRET: PUSHER.secret,
      PUSHER_CLUSTER: PUSHER.cluster,
      PUSHER_HOST: '127.0.0.1',
      PUSHER_PORT: String(fake.port),
      PUSHER_USE_TLS: 'false',
      PUSHER_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    resetEnvCache();
    resetPusher();
  });
  afterAll(async () => {
    for (const name of ['PUSHER_APP_ID', 'PUSHER_KEY', 'PUSHER_SECRET', 'PUSHER_CLUSTER', 'PUSHER_HOST', 'PUSHER_PORT', 'PUSHER_USE_TLS', 'PUSHER_TIMEOUT_MS']) {
      delete process.env[name];
    }
    resetEnvCache();
    resetPusher();
    await fake?.close();
    await closeDatabase().catch(() => {});
    await scratch?.drop();
    await cluster?.destroy();
  });

  async function phase(name: string, mode: 'ok' | 'fail' | 'hang', count: number): Promise<Sent[]> {
    fake.setMode(mode);
    const results: Sent[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        while (next < count) {
          const i = next++;
          const t0 = performance.now();
          const r = await chatResponseService.sendChatMessage({
            type: 'confirmation',
            taskId: `pusher_${name}`,
            userId: `pusher_user_${w}`,
            content: `${name} message ${i}`,
            data: { phase: name, i },
          });
          results.push({ phase: name, ms: performance.now() - t0, success: r.success, databaseStored: r.databaseStored, pusherSent: r.pusherSent, messageId: r.messageId });
        }
      }),
    );
    return results;
  }

  it('finishes every send within its timeout, stores it, and reports pusherSent:false while Pusher fails or hangs', async () => {
    const before = await phase('up', 'ok', 40);
    const failing = await phase('failing', 'fail', 200);
    const hanging = await phase('hanging', 'hang', 100);
    const after = await phase('back', 'ok', 40);
    const all = [...before, ...failing, ...hanging, ...after];

    const ids = all.map((s) => s.messageId).filter((id): id is string => typeof id === 'string');
    const rows = await queryRows<{ id: string; content: string }>(database, sql`SELECT id, content FROM chat_messages WHERE "userId" LIKE 'pusher_user_%'`);
    const stored = new Set(rows.map((r) => r.id));
    const lost = ids.filter((id) => !stored.has(id)).length + (all.length - ids.length);
    // Every send has its own content: one stored twice would show up as a repeated content.
    const duplicated = rows.length - new Set(rows.map((r) => r.content)).size;
    const slowest = (list: Sent[]) => Math.round(Math.max(...list.map((s) => s.ms)));
    const pusherSent = (list: Sent[]) => list.filter((s) => s.pusherSent).length;

    report('Pusher outage under load', {
      load: `${CONCURRENCY} concurrent senders`,
      faults: 'Pusher endpoint answers 500 (200 sends), then never answers (100 sends)',
      'PUSHER_TIMEOUT_MS': TIMEOUT_MS,
      'up: sends / pusherSent / slowest ms': `${before.length} / ${pusherSent(before)} / ${slowest(before)}`,
      'failing: sends / pusherSent / slowest ms': `${failing.length} / ${pusherSent(failing)} / ${slowest(failing)}`,
      'hanging: sends / pusherSent / slowest ms': `${hanging.length} / ${pusherSent(hanging)} / ${slowest(hanging)}`,
      'back: sends / pusherSent / slowest ms': `${after.length} / ${pusherSent(after)} / ${slowest(after)}`,
      'requests the endpoint saw': fake.requests.length,
      'messages checked': all.length,
      lost,
      duplicated,
    });

    expect(all.every((s) => s.success && s.databaseStored)).toBe(true);
    expect(pusherSent(failing)).toBe(0);
    expect(pusherSent(hanging)).toBe(0);
    expect(pusherSent(before)).toBe(before.length);
    expect(pusherSent(after)).toBe(after.length);
    expect(slowest(failing)).toBeLessThanOrEqual(SEND_BOUND_MS);
    expect(slowest(hanging)).toBeLessThanOrEqual(SEND_BOUND_MS);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(rows.length).toBe(all.length);
  });
});
