import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { stopFanout } from '@/lib/realtime/fanout';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { startApp, type AppServer } from '@test/helpers/app-server';
import { startRedisServer, type RedisServer } from '@test/helpers/redis';
import { waitFor } from '@test/helpers/wait';
import { openStream, type SseStream } from './sse-stream';
import { report, sessionCookie, sleep } from './support';

// FANOUT=redis: our own redis-server (free loopback port, no persistence) is killed mid-stream and
// started again, empty, while senders keep going. Two app instances share one PostgreSQL database;
// every user has a stream on each. Nothing restarts the apps and no stream reconnects: the apps'
// subscribers re-subscribe and re-sync every stream from its cursor in PostgreSQL.

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const USERS = 20;
const SENDERS = 4;
const OUTAGE_MS = 4_000;

interface SendRecord {
  userIndex: number;
  startedAt: number;
  endedAt: number;
  success: boolean;
  position?: number;
}

describe.skipIf(!hasPostgres)('Redis restart mid-stream (FANOUT=redis)', () => {
  let redis: RedisServer;
  let appA: AppServer;
  let appB: AppServer;
  const saved = { FANOUT: process.env.FANOUT, REDIS_URL: process.env.REDIS_URL };

  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { FANOUT: 'redis', REDIS_URL: redis.url, SSE_MAX_STREAMS_PER_USER: '10', RATE_LIMIT_POINTS: '100000' };
    appA = await startApp({ kind: 'postgres', env });
    appB = await startApp({ kind: 'postgres', env: { ...env, DATABASE_URL: appA.env.DATABASE_URL! } });
    // This process sends through the same fan-out.
    Object.assign(process.env, { FANOUT: 'redis', REDIS_URL: redis.url });
    resetEnvCache();
    setDatabase(await openDatabase({ databaseUrl: appA.env.DATABASE_URL, pgliteDir: 'unused', poolSize: 10 }));
  });
  afterAll(async () => {
    await stopFanout();
    await closeDatabase().catch(() => {});
    await appB?.dispose().catch(() => {});
    await appA?.dispose().catch(() => {});
    await redis?.kill();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetEnvCache();
  });

  it('every stream gets every message once and in order across the restart, without reconnecting', async () => {
    const users = Array.from({ length: USERS }, (_, i) => `redis_restart_${i}`);
    const cookies = await Promise.all(users.map((u) => sessionCookie(u)));
    // Per stream: the positions received, and whether it ended.
    const streams: Array<{ userIndex: number; positions: number[]; stream: SseStream; ended: boolean; ready: boolean }> = [];
    for (const [userIndex, cookie] of cookies.entries()) {
      for (const app of [appA, appB]) {
        const entry = { userIndex, positions: [] as number[], ended: false, ready: false, stream: undefined as unknown as SseStream };
        entry.stream = await openStream({
          port: app.port,
          path: '/api/chat-messages/stream?since=0',
          headers: { cookie },
          onEvent: (event) => {
            if (event.event === 'ready') entry.ready = true;
            if (event.event === 'chat-message') entry.positions.push(Number(event.id));
          },
        });
        expect(entry.stream.status).toBe(200);
        void entry.stream.ended.then(() => (entry.ended = true));
        streams.push(entry);
      }
    }
    await waitFor(async () => (streams.every((s) => s.ready) ? true : undefined), 'every stream ready', 30_000);

    const sends: SendRecord[] = [];
    let running = true;
    let downAt = Infinity;
    let startingAt = Infinity;
    let upAt = Infinity;
    const senders = Array.from({ length: SENDERS }, async (_, w) => {
      for (let i = 0; running; i++) {
        const userIndex = (w + i * SENDERS) % USERS;
        const startedAt = Date.now();
        const result = await chatResponseService.sendInfo('task_redis', users[userIndex]!, `sender ${w} message ${i}`);
        sends.push({ userIndex, startedAt, endedAt: Date.now(), success: result.success, position: result.position });
        await sleep(25);
      }
    });

    await sleep(2_000);
    await redis.kill();
    downAt = Date.now();
    await sleep(OUTAGE_MS);
    startingAt = Date.now();
    await redis.start();
    upAt = Date.now();
    await sleep(2_000);
    running = false;
    await Promise.all(senders);

    // Every stored message reaches both of its user's streams (bounded wait: the subscribers
    // reconnect with a backoff of at most 10 s).
    const expected = users.map((_, u) =>
      sends
        .filter((s) => s.userIndex === u && s.success)
        .map((s) => s.position!)
        .sort((a, b) => a - b),
    );
    const caughtUp = () => streams.every((s) => s.positions.length >= expected[s.userIndex]!.length);
    await waitFor(async () => (caughtUp() ? true : undefined), 'every stream caught up after the restart', 30_000);
    const caughtUpAt = Date.now();

    const duringOutage = sends.filter((s) => s.startedAt > downAt && s.endedAt < startingAt);
    const slowestOutageSend = Math.max(0, ...duringOutage.map((s) => s.endedAt - s.startedAt));
    const exact = streams.filter((s) => JSON.stringify(s.positions) === JSON.stringify(expected[s.userIndex]));
    report('Redis restart mid-stream', {
      setup: `2 app instances (FANOUT=redis) on one PostgreSQL database, ${USERS} users x 2 streams, ${SENDERS} senders in this process`,
      fault: `redis-server SIGKILL, ${OUTAGE_MS / 1000} s down, started again empty; apps and streams not restarted`,
      sends: sends.length,
      'sends ok / failed': `${sends.filter((s) => s.success).length} / ${sends.filter((s) => !s.success).length}`,
      'sends during the outage': `${duringOutage.length}, slowest ${slowestOutageSend} ms`,
      'every stream caught up after the restart in': `${caughtUpAt - upAt} ms`,
      'streams with exactly their messages, in order': `${exact.length}/${streams.length}`,
      'streams ended': streams.filter((s) => s.ended).length,
    });

    expect(sends.every((s) => s.success)).toBe(true);
    expect(duringOutage.length).toBeGreaterThan(0);
    // An unreachable Redis does not hold a send: the announcement fails fast (the message is stored).
    expect(slowestOutageSend).toBeLessThan(3_000);
    expect(exact.length).toBe(streams.length);
    expect(streams.filter((s) => s.ended)).toEqual([]);
    // The apps did see the outage (their subscribers lost Redis) and came back without a restart.
    for (const app of [appA, appB]) expect(app.logs()).toMatch(/Redis subscriber error/);
    for (const s of streams) s.stream.close();
  });

  it('a PUBLISH refused while every subscriber stays connected: the message still reaches both streams, without a reconnect', async () => {
    const userId = 'redis_publish_refused';
    const cookie = await sessionCookie(userId);
    const streams = await Promise.all(
      [appA, appB].map(async (app) => {
        const entry = { positions: [] as number[], readyEvents: 0, ended: false, stream: undefined as unknown as SseStream };
        entry.stream = await openStream({
          port: app.port,
          path: '/api/chat-messages/stream',
          headers: { cookie },
          onEvent: (event) => {
            if (event.event === 'ready') entry.readyEvents++;
            if (event.event === 'chat-message') entry.positions.push(Number(event.id));
          },
        });
        expect(entry.stream.status).toBe(200);
        void entry.stream.ended.then(() => (entry.ended = true));
        return entry;
      }),
    );
    await waitFor(async () => (streams.every((s) => s.readyEvents === 1) ? true : undefined), 'both streams ready');
    const first = await chatResponseService.sendInfo('task_refused', userId, 'before the refusal');
    await waitFor(async () => (streams.every((s) => s.positions.includes(first.position!)) ? true : undefined), 'the first message');

    // Only this process's publisher is refused (NOPERM); the apps' subscriber connections stay up.
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await admin.call('ACL', 'SETUSER', 'default', '-publish');
      const second = await chatResponseService.sendInfo('task_refused', userId, 'while PUBLISH is refused');
      expect(second.success).toBe(true);
      await admin.call('ACL', 'SETUSER', 'default', '+publish');
      await waitFor(
        async () => (streams.every((s) => s.positions.includes(second.position!)) ? true : undefined),
        'the refused message to reach both streams',
        30_000,
      );
    } finally {
      await admin.call('ACL', 'SETUSER', 'default', '+publish').catch(() => undefined);
      admin.disconnect();
    }
    expect(streams.map((s) => s.positions)).toEqual([
      [first.position, first.position! + 1],
      [first.position, first.position! + 1],
    ]);
    // Neither stream reconnected or ended: the retry of the announcement delivered it.
    expect(streams.map((s) => [s.readyEvents, s.ended])).toEqual([
      [1, false],
      [1, false],
    ]);
    for (const s of streams) s.stream.close();
  });
});
