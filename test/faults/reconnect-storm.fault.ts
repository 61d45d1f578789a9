import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { queryRows } from '@test/helpers/test-db';
import { hasPgBinaries, startPgCluster, type PgCluster } from './pg-cluster';
import { openStream, type SseStream } from './sse-stream';
import { report, sessionCookie, sleep, tally } from './support';

// 1,000 SSE clients (200 users x 5 tabs) follow their messages while senders keep sending; all
// 1,000 connections drop at the same instant and reconnect at once with their Last-Event-ID.
// Every client must end with every message of its user exactly once.

const USERS = 200;
const TABS = 5;
const SENDERS = 4;
const SEND_PAUSE_MS = 25;

interface Client {
  user: string;
  cookie: string;
  /** position -> how many times this client received it (raw, before any de-duplication). */
  received: Map<number, number>;
  lastId?: string;
  stream?: SseStream;
  ready: boolean;
  /** Connections this client opened (1 + its reconnects). */
  connections: number;
  refusals: Record<string, number>;
}

describe.skipIf(!hasPgBinaries())('SSE reconnect storm', () => {
  let cluster: PgCluster;
  let app: AppServer;
  let database: Database;

  beforeAll(async () => {
    cluster = await startPgCluster();
    process.env.TEST_DATABASE_URL = cluster.url();
    // Old and new connections of a tab overlap for a moment after a drop; leave room for both.
    app = await startApp({ kind: 'postgres', env: { SSE_MAX_STREAMS_PER_USER: String(TABS * 4) } });
    database = await openDatabase({ databaseUrl: app.env.DATABASE_URL, pgliteDir: 'unused', poolSize: 10 });
    setDatabase(database);
  });
  afterAll(async () => {
    await closeDatabase().catch(() => {});
    await app?.dispose().catch(() => {});
    await cluster?.destroy();
  });

  /** Opens (or re-opens) a client's stream, as EventSource does: Last-Event-ID once it has one; retries refusals. */
  async function connect(client: Client): Promise<void> {
    client.ready = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const stream = await openStream({
          port: app.port,
          path: '/api/chat-messages/stream?since=0',
          headers: { cookie: client.cookie, ...(client.lastId ? { 'last-event-id': client.lastId } : {}) },
          onEvent: (event) => {
            if (event.event === 'ready') client.ready = true;
            if (event.event !== 'chat-message' || event.id === undefined) return;
            const position = Number(event.id);
            client.received.set(position, (client.received.get(position) ?? 0) + 1);
            client.lastId = event.id;
          },
        });
        if (stream.status === 200) {
          client.stream = stream;
          client.connections++;
          return;
        }
        client.refusals[stream.status] = (client.refusals[stream.status] ?? 0) + 1;
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error';
        client.refusals[code] = (client.refusals[code] ?? 0) + 1;
      }
      if (attempt > 50) throw new Error(`client of ${client.user} could not reconnect: ${JSON.stringify(client.refusals)}`);
      await sleep(200 + Math.random() * 300);
    }
  }

  const clients: Client[] = [];
  let following = true;
  const followers: Array<Promise<void>> = [];

  /** Keeps a client connected: whenever its stream ends, it reconnects at once, as EventSource does. */
  async function follow(client: Client): Promise<void> {
    while (following) {
      await connect(client);
      await client.stream!.ended;
    }
  }

  async function waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (clients.some((c) => !c.ready) && Date.now() < deadline) await sleep(100);
  }

  /** Sends until `stop` resolves; returns how many sends succeeded and failed. */
  function startSenders(): { stop: () => Promise<{ sent: number; failed: number }> } {
    let sending = true;
    let sent = 0;
    let failed = 0;
    const senders = Array.from({ length: SENDERS }, async (_, w) => {
      for (let i = 0; sending; i++) {
        const user = `storm_user_${(i * SENDERS + w) % USERS}`;
        const result = await chatResponseService.sendChatMessage({ type: 'info', userId: user, content: `storm ${w}/${i} ${Date.now()}` });
        if (result.success) sent++;
        else failed++;
        await sleep(SEND_PAUSE_MS);
      }
    });
    return {
      stop: async () => {
        sending = false;
        await Promise.all(senders);
        return { sent, failed };
      },
    };
  }

  /** Waits until every client holds every stored message of its user, then counts lost, duplicated and stray deliveries. */
  async function check(): Promise<{ lost: number; duplicated: number; unexpected: number; deliveries: number; messages: number }> {
    const stored = await queryRows<{ userId: string; positions: string[] }>(
      database,
      sql`SELECT "userId", array_agg(position ORDER BY position) AS positions FROM chat_messages
          WHERE "userId" LIKE 'storm_user_%' GROUP BY "userId"`,
    );
    const expected = new Map(stored.map((r) => [r.userId, r.positions.map(Number)]));
    const caughtUp = (c: Client) => (expected.get(c.user) ?? []).every((p) => c.received.has(p));
    const settleDeadline = Date.now() + 60_000;
    while (clients.some((c) => !caughtUp(c)) && Date.now() < settleDeadline) await sleep(200);
    let lost = 0;
    let duplicated = 0;
    let unexpected = 0;
    let deliveries = 0;
    for (const c of clients) {
      const want = new Set(expected.get(c.user) ?? []);
      for (const p of want) if (!c.received.has(p)) lost++;
      for (const [p, times] of c.received) {
        deliveries += times;
        if (!want.has(p)) unexpected++;
        if (times > 1) duplicated += times - 1;
      }
    }
    return { lost, duplicated, unexpected, deliveries, messages: stored.reduce((n, r) => n + r.positions.length, 0) };
  }

  const refusalTally = () => tally(clients.flatMap((c) => Object.entries(c.refusals).flatMap(([k, n]) => Array<string>(n).fill(k))));

  afterAll(async () => {
    following = false;
    for (const c of clients) c.stream?.close();
    await Promise.all(followers);
  });

  it('1,000 client connections dropped at once: every client ends with every message of its user once', async () => {
    for (let u = 0; u < USERS; u++) {
      const user = `storm_user_${u}`;
      const cookie = await sessionCookie(user);
      for (let t = 0; t < TABS; t++) clients.push({ user, cookie, received: new Map(), ready: false, refusals: {}, connections: 0 });
    }
    // Connect everyone, 100 at a time (the storm comes later).
    for (let i = 0; i < clients.length; i += 100) {
      const batch = clients.slice(i, i + 100);
      followers.push(...batch.map(follow));
      const deadline = Date.now() + 30_000;
      while (batch.some((c) => !c.ready) && Date.now() < deadline) await sleep(50);
    }
    await waitReady(60_000);
    expect(clients.every((c) => c.ready)).toBe(true);

    const senders = startSenders();

    await sleep(3_000);
    // The storm: every connection drops at the same instant, and every client reconnects at once.
    for (const client of clients) client.ready = false;
    const stormStarted = Date.now();
    for (const client of clients) client.stream!.close();
    await waitReady(60_000);
    const readyAfterStormMs = Date.now() - stormStarted;
    await sleep(3_000);
    const { sent, failed: failedSends } = await senders.stop();

    const { lost, duplicated, unexpected, deliveries, messages } = await check();
    const refusals = refusalTally();

    report('SSE reconnect storm', {
      clients: `${clients.length} (${USERS} users x ${TABS} streams)`,
      load: `${SENDERS} senders, one message every ${SEND_PAUSE_MS} ms each, round-robin over the users`,
      fault: `all ${clients.length} connections dropped at once after 3 s, all reconnecting at once with Last-Event-ID`,
      'messages sent (ok / failed)': `${sent} / ${failedSends}`,
      'all reconnected and caught up (ready) in': `${readyAfterStormMs} ms`,
      'messages stored': messages,
      'refused reconnect attempts (retried)': refusals,
      'deliveries checked': deliveries,
      lost,
      duplicated,
      'unexpected positions': unexpected,
    });

    expect(failedSends).toBe(0);
    expect(sent).toBeGreaterThan(100);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(unexpected).toBe(0);
  });

  it('the app restarted under the same clients: every client ends with every message of its user once', async () => {
    const before = clients.reduce((n, c) => n + c.connections, 0);
    const senders = startSenders();
    await sleep(2_000);
    for (const client of clients) client.ready = false;
    // Every stream ends when the server goes; clients retry until the new process answers.
    const restartStarted = Date.now();
    await app.stop();
    await app.restart();
    const upMs = Date.now() - restartStarted;
    await waitReady(90_000);
    const readyMs = Date.now() - restartStarted;
    await sleep(3_000);
    const { sent, failed } = await senders.stop();
    const { lost, duplicated, unexpected, deliveries, messages } = await check();

    report('SSE clients across an app restart', {
      clients: `${clients.length}, each reconnecting with Last-Event-ID when its stream ends`,
      load: `${SENDERS} senders writing to PostgreSQL throughout (the app is only the delivery path)`,
      fault: 'next start stopped (SIGTERM) and started again on the same port',
      'messages sent during this test (ok / failed)': `${sent} / ${failed}`,
      'app answering again after': `${upMs} ms; every client ready after ${readyMs} ms`,
      'connections opened in this test': clients.reduce((n, c) => n + c.connections, 0) - before,
      'refused connection attempts so far (retried)': refusalTally(),
      'messages stored in all': messages,
      'deliveries checked': deliveries,
      lost,
      duplicated,
      'unexpected positions': unexpected,
    });

    expect(failed).toBe(0);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(unexpected).toBe(0);
  });
});
