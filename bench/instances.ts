// More than one instance: NOTIFY vs Redis fan-out with 3 app instances on one PostgreSQL database
// and 32 concurrent senders. Every user has a stream on each instance, so every message is fanned
// out to all three. Run: npm run bench -- instances
import os from 'node:os';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { stopFanout } from '@/lib/realtime/fanout';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { startRedisServer } from '@test/helpers/redis';
import { startBenchApp, type BenchApp } from './lib/app';
import { log, mintSessionToken, runIfMain, scratchDatabase, sleep, table, type Chart, type Section, type Target } from './lib/common';
import { inBatches, nowMs, openStream, type SseStream } from '../test/faults/sse-stream';
import { fmt, ratio, summarize } from './lib/stats';

process.env.LOG_LEVEL = 'silent';

const INSTANCES = 3;
const SENDERS = Number(process.env.BENCH_INSTANCES_SENDERS ?? 32);
const USERS = Number(process.env.BENCH_INSTANCES_USERS ?? 300);
const SECONDS = Number(process.env.BENCH_INSTANCES_SECONDS ?? 10);

interface FanoutResult {
  fanout: 'postgres' | 'redis';
  sent: number;
  sendsPerSecond: number;
  send: ReturnType<typeof summarize>;
  /** Expected deliveries (messages x 3 streams) and what arrived. */
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  latency: ReturnType<typeof summarize>;
  load: [number, number];
}

async function measure(fanout: 'postgres' | 'redis', databaseUrl: string, redisUrl: string): Promise<FanoutResult> {
  const env: Record<string, string> = fanout === 'redis' ? { FANOUT: 'redis', REDIS_URL: redisUrl } : { FANOUT: 'postgres' };
  Object.assign(process.env, env);
  resetEnvCache();
  const apps: BenchApp[] = [];
  const streams: SseStream[] = [];
  try {
    for (let i = 0; i < INSTANCES; i++) apps.push(await startBenchApp({ databaseUrl, env: { ...env, SSE_MAX_STREAMS_PER_USER: '10' } }));
    const users = Array.from({ length: USERS }, (_, i) => `inst_${fanout}_${i}`);
    const cookies = await Promise.all(users.map(async (u) => `next-auth.session-token=${await mintSessionToken(u, databaseUrl)}`));
    const seen = new Map<string, number>(); // `${stream}:${seq}` -> times
    const latencies: number[] = [];
    let measuring = false;
    let ready = 0;
    await inBatches(
      users.flatMap((_, u) => apps.map((app, a) => ({ u, app, key: `${u}:${a}` }))),
      50,
      async ({ u, app, key }) => {
        const stream = await openStream({
          port: app.port,
          path: '/api/chat-messages/stream',
          headers: { cookie: cookies[u]! },
          onEvent: (event) => {
            if (event.event === 'ready') ready++;
            if (event.event !== 'chat-message' || !measuring) return;
            const { sentAt, seq } = (JSON.parse(event.data) as { data: { sentAt: number; seq: number } }).data;
            latencies.push(nowMs() - sentAt);
            const id = `${key}:${seq}`;
            seen.set(id, (seen.get(id) ?? 0) + 1);
          },
        });
        if (stream.status !== 200) throw new Error(`stream answered ${stream.status}`);
        streams.push(stream);
      },
    );
    while (ready < USERS * INSTANCES) await sleep(50);
    // Warm-up: a few sends so pools, JIT and the listeners are in place.
    for (let i = 0; i < 20; i++) await chatResponseService.sendInfo('warm', users[i % USERS]!, 'warm-up', { sentAt: nowMs(), seq: -1 - i });
    await sleep(1_000);

    measuring = true;
    const sendMs: number[] = [];
    const sentSeqs: Array<{ u: number; seq: number }> = [];
    let seq = 0;
    const loadBefore = os.loadavg()[0]!;
    const deadline = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (performance.now() < deadline) {
          const u = Math.floor(Math.random() * USERS);
          const s = ++seq;
          const sentAt = nowMs();
          const result = await chatResponseService.sendInfo('bench', users[u]!, 'instances benchmark', { sentAt, seq: s });
          if (!result.success) throw new Error(result.error);
          sendMs.push(nowMs() - sentAt);
          sentSeqs.push({ u, seq: s });
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const expected = sentSeqs.length * INSTANCES;
    const settle = Date.now() + 20_000;
    while (seen.size < expected && Date.now() < settle) await sleep(100);
    measuring = false;
    let lost = 0;
    let duplicated = 0;
    for (const { u, seq: s } of sentSeqs) {
      for (let a = 0; a < INSTANCES; a++) {
        const times = seen.get(`${u}:${a}:${s}`) ?? 0;
        if (times === 0) lost++;
        if (times > 1) duplicated += times - 1;
      }
    }
    const result: FanoutResult = {
      fanout,
      sent: sentSeqs.length,
      sendsPerSecond: sentSeqs.length / elapsed,
      send: summarize(sendMs),
      expected,
      received: seen.size,
      lost,
      duplicated,
      latency: summarize(latencies),
      load: [loadBefore, os.loadavg()[0]!],
    };
    log(
      `instances ${fanout}: ${fmt(result.sendsPerSecond)} msg/s, send p99 ${fmt(result.send.p99)} ms, delivery p50 ${fmt(result.latency.p50)} ` +
        `p99 ${fmt(result.latency.p99)} ms, lost ${lost}, dup ${duplicated}, load ${fmt(result.load[0])}-${fmt(result.load[1])}`,
    );
    return result;
  } finally {
    for (const s of streams) s.close();
    await Promise.all(apps.map((app) => app.stop()));
    await stopFanout();
  }
}

export async function bench(): Promise<Section> {
  const started = Date.now();
  const scratch = await scratchDatabase('instances');
  setDatabase(await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused', poolSize: SENDERS }));
  const redis = await startRedisServer();
  const results: FanoutResult[] = [];
  try {
    results.push(await measure('postgres', scratch.url, redis.url));
    results.push(await measure('redis', scratch.url, redis.url));
  } finally {
    await closeDatabase();
    await scratch.drop();
    await redis.kill();
  }
  const [notify, viaRedis] = results as [FanoutResult, FanoutResult];
  const targets: Target[] = results.map((r) => ({
    name: `${INSTANCES} instances, ${SENDERS} senders, FANOUT=${r.fanout}: lost / duplicated`,
    measured: `${r.lost} / ${r.duplicated}`,
    target: '0 / 0',
    met: r.lost === 0 && r.duplicated === 0,
  }));
  targets.push({
    name: `${INSTANCES} instances, ${SENDERS} senders: Redis vs NOTIFY, msg/s (delivery p99)`,
    measured: `${fmt(ratio(viaRedis.sendsPerSecond, notify.sendsPerSecond))}x (${fmt(viaRedis.latency.p99)} vs ${fmt(notify.latency.p99)} ms)`,
    target: 'reported',
    met: true,
  });
  const charts: Chart[] = [
    {
      file: 'instances-throughput',
      title: `${INSTANCES} instances, ${SENDERS} senders: messages/s stored and fanned out`,
      unit: 'msg/s',
      groups: [
        {
          label: 'send throughput',
          bars: results.map((r) => ({ label: r.fanout === 'redis' ? 'Redis' : 'NOTIFY', value: r.sendsPerSecond })),
        },
      ],
    },
    {
      file: 'instances-latency',
      title: `${INSTANCES} instances, ${SENDERS} senders: send -> receive (ms)`,
      unit: 'ms',
      groups: ['p50', 'p99'].map((q) => ({
        label: q,
        bars: results.map((r) => ({ label: r.fanout === 'redis' ? 'Redis' : 'NOTIFY', value: r.latency[q as 'p50' | 'p99'] })),
      })),
    },
  ];
  const markdown = [
    `${INSTANCES} app instances (\`npm start\`) on one PostgreSQL database, once with FANOUT=postgres (LISTEN/NOTIFY) and once with`,
    `FANOUT=redis (a redis-server of the run's own, no persistence). ${USERS} users, each with one stream on every instance`,
    `(${USERS * INSTANCES} streams); ${SENDERS} senders in the benchmark process call \`sendChatMessage\` in a closed loop for ${SECONDS} s, each`,
    `message to a random user, so every message is delivered to ${INSTANCES} streams on ${INSTANCES} instances. Latency: send start to receipt,`,
    `per stream. "load": 1-minute load average before / after (the machine is shared; the senders, the ${INSTANCES} servers, PostgreSQL and Redis share its 2 cores).`,
    '',
    table(
      ['fan-out', 'sent', 'msg/s', 'send p50 ms', 'send p99 ms', 'deliveries', 'lost / dup', 'p50 ms', 'p99 ms', 'max ms', 'load'],
      results.map((r) => [
        r.fanout === 'redis' ? 'Redis pub/sub' : 'PostgreSQL NOTIFY',
        r.sent,
        fmt(r.sendsPerSecond),
        fmt(r.send.p50),
        fmt(r.send.p99),
        `${r.received}/${r.expected}`,
        `${r.lost} / ${r.duplicated}`,
        fmt(r.latency.p50),
        fmt(r.latency.p99),
        fmt(r.latency.max),
        `${fmt(r.load[0])} / ${fmt(r.load[1])}`,
      ]),
    ),
  ].join('\n');
  return {
    name: 'instances',
    title: '3b. Fan-out across instances: NOTIFY vs Redis',
    command: 'npm run bench -- instances',
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    markdown,
    targets,
    charts,
    raw: { results, instances: INSTANCES, senders: SENDERS, users: USERS, seconds: SECONDS },
  };
}

runIfMain(import.meta.url, bench);
