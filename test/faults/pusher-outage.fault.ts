import Pusher from 'pusher';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { resetPusher } from '@/lib/realtime/pusher';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { subscribeToChannel, type ChannelSubscriber } from '@test/helpers/pusher-client';
import { startPusherServer, type PusherServer } from '@test/helpers/pusher-server';
import { createScratchPostgres, queryRows, type ScratchPostgres } from '@test/helpers/test-db';
import { hasPgBinaries, startPgCluster, type PgCluster } from './pg-cluster';
import { report } from './support';

// A real Pusher-protocol server (Soketi) that answers, then is killed (connections refused), then
// is frozen (SIGSTOP: connections accepted, never answered), then answers again, while senders
// keep sending: every send finishes within its timeout, is stored, and reports pusherSent:false
// while Pusher is out. A pusher-js subscriber checks that what was reported sent did arrive.
// (Soketi cannot be made to answer an HTTP error: it writes its CORS headers first, so uWS sends
// every error body with status 200. Down and frozen are the outages a real server shows.)

const PUSHER = { appId: '4242', key: 'fault-key', secret: 'fault-secret' };
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
  userIndex: number;
}

describe.skipIf(!hasPgBinaries())('Pusher outage under load', () => {
  let cluster: PgCluster;
  let scratch: ScratchPostgres;
  let database: Database;
  let pusher: PusherServer;

  beforeAll(async () => {
    cluster = await startPgCluster();
    process.env.TEST_DATABASE_URL = cluster.url();
    scratch = await createScratchPostgres();
    database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused', poolSize: 10 });
    setDatabase(database);
    pusher = await startPusherServer(PUSHER);
    Object.assign(process.env, { ...pusher.env, PUSHER_TIMEOUT_MS: String(TIMEOUT_MS) });
    resetEnvCache();
    resetPusher();
  });
  afterAll(async () => {
    for (const name of [
      'PUSHER_APP_ID',
      'PUSHER_KEY',
      'PUSHER_SECRET',
      'PUSHER_CLUSTER',
      'PUSHER_HOST',
      'PUSHER_PORT',
      'PUSHER_USE_TLS',
      'PUSHER_TIMEOUT_MS',
    ]) {
      delete process.env[name];
    }
    resetEnvCache();
    resetPusher();
    await pusher?.stop();
    await closeDatabase().catch(() => {});
    await scratch?.drop();
    await cluster?.destroy();
  });

  /** pusher-js on the first sender's channel, signed with the app secret as /api/pusher/auth and /api/pusher/user-auth do. */
  async function watchFirstUser(): Promise<ChannelSubscriber> {
    const signer = new Pusher({ ...PUSHER, host: pusher.host, port: String(pusher.port), useTLS: false });
    return subscribeToChannel(pusher, 'private-user-pusher_user_0', (socketId, channel) => signer.authorizeChannel(socketId, channel), {
      // Soketi closes connections that never sign in.
      signIn: (socketId) => signer.authenticateUser(socketId, { id: 'pusher_user_0' }),
    });
  }

  /** Every chat-message of `phase` the subscriber received, after a marker sent behind them all arrived. */
  async function receivedIn(subscriber: ChannelSubscriber, phaseName: string): Promise<number> {
    const marker = `done-${phaseName}`;
    await new Pusher({ ...PUSHER, host: pusher.host, port: String(pusher.port), useTLS: false }).trigger(
      'private-user-pusher_user_0',
      'test-marker',
      { marker },
    );
    await subscriber.next((e) => e.event === 'test-marker' && (e.data as { marker: string }).marker === marker, `the ${phaseName} marker`);
    return subscriber.events.filter(
      (e) => e.event === 'chat-message' && (e.data as { data?: { phase?: string } }).data?.phase === phaseName,
    ).length;
  }

  async function phase(name: string, count: number): Promise<Sent[]> {
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
          results.push({
            phase: name,
            ms: performance.now() - t0,
            success: r.success,
            databaseStored: r.databaseStored,
            pusherSent: r.pusherSent,
            messageId: r.messageId,
            userIndex: w,
          });
        }
      }),
    );
    return results;
  }

  it('finishes every send within its timeout, stores it, and reports pusherSent:false while Pusher fails or hangs', async () => {
    const watchingUp = await watchFirstUser();
    const before = await phase('up', 40);
    const receivedUp = await receivedIn(watchingUp, 'up');
    watchingUp.disconnect();

    await pusher.stop();
    const failing = await phase('failing', 200);
    await pusher.restart();
    pusher.pause();
    const hanging = await phase('hanging', 100);
    pusher.resume();

    const watchingBack = await watchFirstUser();
    const after = await phase('back', 40);
    const receivedBack = await receivedIn(watchingBack, 'back');
    watchingBack.disconnect();
    const all = [...before, ...failing, ...hanging, ...after];
    const sentToFirstUser = (list: Sent[]) => list.filter((s) => s.userIndex === 0 && s.pusherSent).length;

    const ids = all.map((s) => s.messageId).filter((id): id is string => typeof id === 'string');
    const rows = await queryRows<{ id: string; content: string }>(
      database,
      sql`SELECT id, content FROM chat_messages WHERE "userId" LIKE 'pusher_user_%'`,
    );
    const stored = new Set(rows.map((r) => r.id));
    const lost = ids.filter((id) => !stored.has(id)).length + (all.length - ids.length);
    // Every send has its own content: one stored twice would show up as a repeated content.
    const duplicated = rows.length - new Set(rows.map((r) => r.content)).size;
    const slowest = (list: Sent[]) => Math.round(Math.max(...list.map((s) => s.ms)));
    const pusherSent = (list: Sent[]) => list.filter((s) => s.pusherSent).length;

    report('Pusher outage under load', {
      load: `${CONCURRENCY} concurrent senders`,
      faults: 'Pusher server (Soketi) killed: connection refused (200 sends), then frozen: never answers (100 sends)',
      PUSHER_TIMEOUT_MS: TIMEOUT_MS,
      'up: sends / pusherSent / slowest ms': `${before.length} / ${pusherSent(before)} / ${slowest(before)}`,
      'failing: sends / pusherSent / slowest ms': `${failing.length} / ${pusherSent(failing)} / ${slowest(failing)}`,
      'hanging: sends / pusherSent / slowest ms': `${hanging.length} / ${pusherSent(hanging)} / ${slowest(hanging)}`,
      'back: sends / pusherSent / slowest ms': `${after.length} / ${pusherSent(after)} / ${slowest(after)}`,
      'pusher_user_0 events sent / received (up)': `${sentToFirstUser(before)} / ${receivedUp}`,
      'pusher_user_0 events sent / received (back)': `${sentToFirstUser(after)} / ${receivedBack}`,
      'messages checked': all.length,
      lost,
      duplicated,
    });

    expect(all.every((s) => s.success && s.databaseStored)).toBe(true);
    expect(pusherSent(failing)).toBe(0);
    expect(pusherSent(hanging)).toBe(0);
    expect(pusherSent(before)).toBe(before.length);
    expect(pusherSent(after)).toBe(after.length);
    expect(receivedUp).toBe(sentToFirstUser(before));
    expect(receivedBack).toBe(sentToFirstUser(after));
    expect(slowest(failing)).toBeLessThanOrEqual(SEND_BOUND_MS);
    expect(slowest(hanging)).toBeLessThanOrEqual(SEND_BOUND_MS);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(rows.length).toBe(all.length);
  });
});
