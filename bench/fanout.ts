// Fan-out: 1,000, 5,000 and 20,000 concurrent SSE streams on one app instance (the app's Node entry
// serves the stream); publish -> receive latency (the send time travels in the message) vs a bare
// node:http SSE broadcaster, and RSS per idle stream. Run: npm run bench -- fanout
// (BENCH_FANOUT_LEVELS=1000,5000 for fewer; a level above the open-file limit is capped, and said).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { newId } from '@/lib/db/ids';
import { stopFanout } from '@/lib/realtime/fanout';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { processCpuMs, processRss, startBenchApp } from './lib/app';
import {
  log,
  mintSessionToken,
  RESULTS_DIR,
  ROOT,
  runIfMain,
  scratchDatabase,
  sleep,
  table,
  type Chart,
  type Section,
  type Target,
} from './lib/common';
import { startRedisServer } from '@test/helpers/redis';
import { heapGrowth } from './lib/heap';
import { profileMarkdown, summarizeProfile } from './lib/profile';
import { inBatches, nowMs, openStream, type SseStream } from '../test/faults/sse-stream';
import { fmt, ratio, summarize } from './lib/stats';

process.env.LOG_LEVEL = 'silent';

/** Descriptors a process may open (the soft RLIMIT_NOFILE, from /proc; Node cannot raise it). */
function openFileLimit(): number {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\d+)\s+(\d+)/m);
    return line ? Number(line[1]) : Infinity;
  } catch {
    return Infinity;
  }
}
/** Descriptors kept free besides the streams, in the server and in this process (database, listeners, files). */
const FD_RESERVE = 500;
const FD_LIMIT = openFileLimit();
const REQUESTED = (process.env.BENCH_FANOUT_LEVELS ?? '1000,5000,20000').split(',').map(Number);
const LEVELS = REQUESTED.map((n) => Math.min(n, FD_LIMIT - FD_RESERVE));
const RATE = Number(process.env.BENCH_FANOUT_RATE ?? 200); // messages per second, each to one user
const SECONDS = Number(process.env.BENCH_FANOUT_SECONDS ?? 10);
const OPEN_CONCURRENCY = 50;
/** How the app's instances are told (FANOUT): postgres (default) or redis, for a comparison run. */
/** The store-first baseline's statement: the app's store (per-user cursor + INSERT in one statement), raw. */
const STORE_FIRST_SQL = `WITH c AS (
  INSERT INTO chat_user_cursors ("userId", "lastPosition") VALUES ($2, 1)
  ON CONFLICT ("userId") DO UPDATE SET "lastPosition" = chat_user_cursors."lastPosition" + 1
  RETURNING "lastPosition")
INSERT INTO chat_messages (id, "userId", type, content, data, position)
SELECT $1, $2, $3, $4, $5, c."lastPosition" FROM c`;

const VIA = process.env.BENCH_FANOUT_VIA === 'redis' ? 'redis' : 'postgres';

interface Target_ {
  name: 'bare' | 'bare+store' | 'app';
  port: number;
  rss: () => number;
  /** CPU milliseconds the server process has used so far. */
  cpu: () => number;
  streamPath: (user: string) => string;
  headers: (user: string) => Promise<Record<string, string>>;
  publish: (user: string, data: Record<string, unknown>) => Promise<void>;
}

interface LevelResult {
  streams: number;
  openSeconds: number;
  rssBefore: number;
  rssAfter: number;
  perStreamBytes: number;
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  publishErrors: number;
  latency: ReturnType<typeof summarize>;
  /** How long the publish call took (the app: sendChatMessage, i.e. INSERT commit + NOTIFY). */
  publish: ReturnType<typeof summarize>;
  /** 1-minute load average before and after the publishing window (the machine is shared). */
  load: [number, number];
  /** Server CPU per message published during the window (ms), idle heartbeats included. */
  cpuMsPerMessage: number;
}

const userName = (i: number) => `fan_${String(i).padStart(5, '0')}`;

async function measureTarget(target: Target_): Promise<LevelResult[]> {
  const received = new Map<string, Map<number, number>>(); // user -> seq -> times received
  const latencies: number[] = [];
  const streams: SseStream[] = [];
  let readyCount = 0;
  const open = async (i: number) => {
    const user = userName(i);
    const stream = await openStream({
      port: target.port,
      path: target.streamPath(user),
      headers: await target.headers(user),
      onEvent: (event) => {
        if (event.event === 'ready') readyCount++;
        if (event.event !== 'chat-message') return;
        const body = JSON.parse(event.data) as { data: { sentAt: number; seq: number } };
        const { sentAt, seq } = body.data;
        if (measuring) latencies.push(nowMs() - sentAt);
        const seen = received.get(user) ?? new Map<number, number>();
        seen.set(seq, (seen.get(seq) ?? 0) + 1);
        received.set(user, seen);
      },
    });
    if (stream.status !== 200) throw new Error(`${target.name}: stream for ${user} answered ${stream.status}`);
    streams.push(stream);
  };
  let measuring = false;
  let seq = 0;
  const results: LevelResult[] = [];

  // Warm-up: a few streams and messages, so JIT, pools and the LISTEN connection are in place. The
  // messages go 20 at a time to 20 users with streams, so the sender's pool and the server's pool
  // (one load per user) open their connections now: opening a PostgreSQL connection costs tens of
  // ms on a busy machine, and without this the first level paid for it (its p99 was 2-5x the next).
  await inBatches([...Array(20).keys()], 20, (i) => open(i));
  for (let round = 0; round < 5; round++) {
    await Promise.all([...Array(20).keys()].map((i) => target.publish(userName(i), { sentAt: nowMs(), seq: ++seq })));
  }
  await sleep(1_000);
  for (const s of streams.splice(0)) s.close();
  received.clear();
  readyCount = 0;
  await sleep(2_000);

  let opened = 0;
  for (const level of LEVELS) {
    const rssBefore = target.rss();
    const t0 = performance.now();
    await inBatches(
      [...Array(level - opened).keys()].map((k) => opened + k),
      OPEN_CONCURRENCY,
      (i) => open(i),
    );
    const deadline = Date.now() + 60_000;
    while (readyCount < level && Date.now() < deadline) await sleep(50);
    if (readyCount < level) throw new Error(`${target.name}: only ${readyCount}/${level} streams got ready`);
    const openSeconds = (performance.now() - t0) / 1000;
    await sleep(3_000); // idle: let the server settle before reading its RSS
    const rssAfter = target.rss();
    opened = level;

    // Publish: RATE messages/s for SECONDS, each to a random connected user, open loop.
    const expected = new Map<string, Set<number>>();
    received.clear();
    latencies.length = 0;
    measuring = true;
    let publishErrors = 0;
    const inflight: Array<Promise<void>> = [];
    const publishMs: number[] = [];
    const loadBefore = os.loadavg()[0]!;
    const cpuBefore = target.cpu();
    const start = performance.now();
    const total = RATE * SECONDS;
    for (let k = 0; k < total; k++) {
      const at = start + (k * 1000) / RATE;
      const wait = at - performance.now();
      if (wait > 0) await sleep(wait);
      const user = userName(Math.floor(Math.random() * level));
      const s = ++seq;
      const set = expected.get(user) ?? new Set<number>();
      set.add(s);
      expected.set(user, set);
      const sentAt = nowMs();
      inflight.push(
        target
          .publish(user, { sentAt, seq: s })
          .then(() => void publishMs.push(nowMs() - sentAt))
          .catch(() => void publishErrors++),
      );
    }
    await Promise.all(inflight);
    const settle = Date.now() + 15_000;
    const count = () => [...received.values()].reduce((n, m) => n + m.size, 0);
    while (count() < total - publishErrors && Date.now() < settle) await sleep(100);
    measuring = false;
    const cpuMs = target.cpu() - cpuBefore;
    let lost = 0;
    let duplicated = 0;
    for (const [user, seqs] of expected) {
      const seen = received.get(user);
      for (const s of seqs) {
        const times = seen?.get(s) ?? 0;
        if (times === 0) lost++;
        if (times > 1) duplicated += times - 1;
      }
    }
    const result: LevelResult = {
      streams: level,
      openSeconds,
      rssBefore,
      rssAfter,
      perStreamBytes: (rssAfter - rssBefore) / (level - (results.at(-1)?.streams ?? 0)),
      sent: total,
      received: count(),
      lost,
      duplicated,
      publishErrors,
      latency: summarize([...latencies]),
      publish: summarize(publishMs),
      load: [loadBefore, os.loadavg()[0]!],
      cpuMsPerMessage: cpuMs / total,
    };
    results.push(result);
    log(
      `fanout ${target.name} ${level} streams: p50 ${fmt(result.latency.p50)} ms p99 ${fmt(result.latency.p99)} ms, lost ${lost}, ` +
        `dup ${duplicated}, ${fmt(result.perStreamBytes / 1024)} KB/stream, publish p99 ${fmt(result.publish.p99)} ms, load ${fmt(result.load[0])}-${fmt(result.load[1])}`,
    );
  }
  for (const s of streams) s.close();
  return results;
}

async function startBare(): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/lib/bare-sse-server.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bare SSE server exited with ${code}`)));
  });
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * When a target is missed: one more app instance, run with --cpu-prof and --heapsnapshot-signal,
 * takes a heap snapshot before and after DIAG_STREAMS idle streams open (what one stream keeps)
 * and profiles the CPU while RATE messages/s are fanned out to them for SECONDS.
 */
const DIAG_STREAMS = 1_000;

/** V8 writes a snapshot in chunks; it is complete once its JSON is closed (`...]}`). */
function isCompleteSnapshot(file: string): boolean {
  const size = fs.statSync(file).size;
  if (size < 16) return false;
  const fd = fs.openSync(file, 'r');
  try {
    const tail = Buffer.alloc(16);
    fs.readSync(fd, tail, 0, 16, size - 16);
    return tail.toString('utf8').trimEnd().endsWith(']}');
  } finally {
    fs.closeSync(fd);
  }
}

async function diagnose(databaseUrl: string): Promise<string> {
  const dir = path.join(RESULTS_DIR, 'profiles', 'fanout');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const openAll = async (port: number, from: number, count: number, streams: SseStream[]) => {
    await inBatches(
      [...Array(count).keys()].map((k) => from + k),
      OPEN_CONCURRENCY,
      async (i) => {
        const user = `diag_${i}`;
        streams.push(
          await openStream({
            port,
            path: '/api/chat-messages/stream',
            headers: { cookie: `next-auth.session-token=${await mintSessionToken(user, databaseUrl)}` },
            onEvent: () => {},
          }),
        );
      },
    );
  };

  // Heap: snapshots before and after DIAG_STREAMS idle streams (its own instance: writing a
  // snapshot would swamp a CPU profile).
  let heapTable: string;
  {
    const app = await startBenchApp({ databaseUrl, env: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}` } });
    const streams: SseStream[] = [];
    const snapshot = async (): Promise<string> => {
      const before = new Set(fs.readdirSync(dir));
      app.child.kill('SIGUSR2');
      for (let waited = 0; waited < 120_000; waited += 250) {
        await sleep(250);
        const file = fs.readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
        const full = file && path.join(dir, file);
        if (full && isCompleteSnapshot(full)) {
          const size = fs.statSync(full).size;
          await sleep(500);
          if (fs.statSync(full).size === size) return full;
        }
      }
      throw new Error('no heap snapshot written');
    };
    try {
      await openAll(app.port, 0, 20, streams);
      await sleep(1_000);
      for (const s of streams.splice(0)) s.close();
      await sleep(2_000);
      const before = await snapshot();
      await openAll(app.port, 100, DIAG_STREAMS, streams);
      await sleep(3_000);
      const after = await snapshot();
      const all = heapGrowth(before, after, DIAG_STREAMS, 100_000);
      fs.rmSync(before);
      fs.rmSync(after);
      const total = all.reduce((sum, r) => sum + r.perUnitBytes, 0);
      const count = (re: RegExp) => all.filter((r) => re.test(r.what)).reduce((sum, r) => sum + r.perUnitCount, 0);
      heapTable = [
        `JS heap growth per idle stream: ${fmt(total / 1024)} KB (heap snapshots of one more instance before and after ${DIAG_STREAMS} streams`,
        `opened and idled 3 s), including ${fmt(count(/^object: Promise$/))} pending promises, ${fmt(count(/^object: Generator$/))} suspended generators,`,
        `${fmt(count(/^object: system \/ Context$/))} closure contexts and ${fmt(count(/^closure/))} closures per stream. Largest kinds of object added, per stream:`,
        '',
        table(
          ['kind: constructor', 'objects per stream', 'bytes per stream'],
          all.slice(0, 12).map((r) => [r.what, fmt(r.perUnitCount), fmt(r.perUnitBytes)]),
        ),
      ].join('\n');
    } finally {
      for (const s of streams) s.close();
      await app.stop();
    }
  }

  // CPU: DIAG_STREAMS streams, then RATE messages/s for SECONDS, under --cpu-prof.
  {
    const app = await startBenchApp({ databaseUrl, cpuProfDir: dir, env: { SSE_MAX_STREAMS_PER_USER: '10' } });
    const streams: SseStream[] = [];
    try {
      await openAll(app.port, 2_000, DIAG_STREAMS, streams);
      const start = performance.now();
      for (let k = 0; k < RATE * SECONDS; k++) {
        const wait = start + (k * 1000) / RATE - performance.now();
        if (wait > 0) await sleep(wait);
        void chatResponseService.sendChatMessage({
          type: 'info',
          userId: `diag_${2_000 + Math.floor(Math.random() * DIAG_STREAMS)}`,
          content: 'diagnose',
          data: { sentAt: nowMs() },
        });
      }
      await sleep(2_000);
    } finally {
      for (const s of streams) s.close();
      await app.stop();
    }
  }
  const profiles = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const biggest = profiles.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  const cpu = biggest
    ? `\`node --cpu-prof\` of another \`npm start\` process (start-up, ${DIAG_STREAMS} streams opening, then ${RATE} messages/s for ${SECONDS} s):\n\n${profileMarkdown(summarizeProfile(biggest, 12), 12)}`
    : '(no CPU profile written)';
  return `${heapTable}\n\n${cpu}`;
}

export async function bench(): Promise<Section> {
  const started = Date.now();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

  // The app's database, created first: the store-first broadcaster writes to it too.
  const scratch = await scratchDatabase('fanout');
  const storePool = new pg.Pool({ connectionString: scratch.url, max: 10 });
  storePool.on('error', () => {}); // idle clients die when the scratch database is dropped

  // Baselines: the bare broadcaster, then the same broadcaster behind a store-first publish.
  const bare = await startBare();
  let bareResults: LevelResult[];
  let storeFirstResults: LevelResult[];
  try {
    const post = (userId: string, data: Record<string, unknown>) =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: bare.port,
            path: '/publish',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(String(res.statusCode)))));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ userId, data: { data } }));
      });
    const bareTarget: Target_ = {
      name: 'bare',
      port: bare.port,
      rss: () => processRss(bare.pid),
      cpu: () => processCpuMs(bare.pid),
      streamPath: (user) => `/stream?user=${user}`,
      headers: async () => ({}),
      publish: post,
    };
    bareResults = await measureTarget(bareTarget);
    // The floor for "stored before it is sent": the same row committed with the app's statement
    // shape (per-user cursor + INSERT, raw `pg`), then the POST. No NOTIFY, no load, no framework.
    storeFirstResults = await measureTarget({
      ...bareTarget,
      name: 'bare+store',
      publish: async (userId, data) => {
        await storePool.query({
          name: 'store_first',
          text: STORE_FIRST_SQL,
          // Users of their own: the app's run later streams these ids from the same database.
          values: [newId(), `store_first_${userId}`, 'INFO', 'fan-out benchmark', data],
        });
        await post(userId, data);
      },
    });
  } finally {
    await bare.stop();
    await storePool.end();
  }

  // The app: npm start (our Node entry) on PostgreSQL; messages sent with the service from this process.
  const database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused', poolSize: 10 });
  setDatabase(database);
  // BENCH_FANOUT_VIA=redis: the app and this process announce through a redis-server of the run's own.
  const redis = VIA === 'redis' ? await startRedisServer() : undefined;
  const fanoutEnv: Record<string, string> = redis ? { FANOUT: 'redis', REDIS_URL: redis.url } : {};
  Object.assign(process.env, fanoutEnv);
  resetEnvCache();
  const app = await startBenchApp({ databaseUrl: scratch.url, env: { SSE_MAX_STREAMS_PER_USER: '10', ...fanoutEnv } });
  let appResults: LevelResult[];
  const tokens = new Map<string, string>();
  try {
    appResults = await measureTarget({
      name: 'app',
      port: app.port,
      rss: app.rss,
      cpu: () => processCpuMs(app.child.pid!),
      streamPath: () => '/api/chat-messages/stream',
      headers: async (user) => {
        let token = tokens.get(user);
        if (!token) tokens.set(user, (token = await mintSessionToken(user, scratch.url)));
        return { cookie: `next-auth.session-token=${token}` };
      },
      publish: async (userId, data) => {
        const result = await chatResponseService.sendChatMessage({ type: 'info', userId, content: 'fan-out benchmark', data });
        if (!result.success) throw new Error(result.error);
      },
    });
  } finally {
    await app.stop();
  }

  const targets: Target[] = [];
  const rows: Array<Array<string | number>> = [];
  for (const [i, a] of appResults.entries()) {
    const b = bareResults[i]!;
    const st = storeFirstResults[i]!;
    for (const [label, r] of [
      ['bare node:http broadcaster (baseline)', b],
      ['the same, storing each message in PostgreSQL before the POST', st],
      ['app: GET /api/chat-messages/stream', a],
    ] as const) {
      rows.push([
        r.streams,
        label,
        `${r.received}/${r.sent}`,
        `${r.lost} / ${r.duplicated}`,
        fmt(r.latency.p50),
        fmt(r.latency.p99),
        fmt(r.latency.max),
        r === b ? '1' : `${fmt(ratio(r.latency.p99, b.latency.p99))}x`,
        r === a ? `${fmt(ratio(a.latency.p99, st.latency.p99))}x` : r === st ? '1' : '',
        fmt(r.publish.p99),
        fmt(r.cpuMsPerMessage),
        fmt(r.perStreamBytes / 1024),
        fmt(r.openSeconds),
        `${fmt(r.load[0])} / ${fmt(r.load[1])}`,
      ]);
    }
    const requested = REQUESTED[i]!;
    const label = requested === a.streams ? `${a.streams}` : `${requested} requested, ${a.streams} measured`;
    targets.push({
      name: `fan-out ${label} streams: lost / duplicated`,
      measured: `${a.lost} / ${a.duplicated}`,
      target: '0 / 0',
      met: a.lost === 0 && a.duplicated === 0,
    });
    targets.push({
      name: `fan-out ${label} streams: p99 vs bare broadcaster`,
      measured: `${fmt(ratio(a.latency.p99, b.latency.p99))}x (${fmt(a.latency.p99)} vs ${fmt(b.latency.p99)} ms)`,
      target: '<= 2x',
      met: a.latency.p99 <= 2 * b.latency.p99,
    });
    targets.push({
      name: `fan-out ${label} streams: p99 vs a broadcaster that stores first`,
      measured: `${fmt(ratio(a.latency.p99, st.latency.p99))}x (${fmt(a.latency.p99)} vs ${fmt(st.latency.p99)} ms)`,
      target: 'reported',
      met: true,
    });
  }
  const idle = appResults[0]!;
  targets.push({
    name: `fan-out: RSS per idle stream (first ${idle.streams} streams)`,
    measured: `${fmt(idle.perStreamBytes / 1024)} KB`,
    target: '<= 20 KB',
    met: idle.perStreamBytes <= 20 * 1024,
  });
  const capped = LEVELS.some((n, i) => n !== REQUESTED[i]);
  const charts: Chart[] = [
    {
      file: 'fanout-p99',
      title: 'Fan-out: publish -> receive p99 (ms), bare broadcaster vs the app',
      unit: 'ms',
      groups: appResults.map((a, i) => ({
        label: `${a.streams} streams`,
        bars: [
          { label: 'bare', value: bareResults[i]!.latency.p99 },
          { label: 'bare+store', value: storeFirstResults[i]!.latency.p99 },
          { label: 'app', value: a.latency.p99 },
          { label: '2x bare', value: 2 * bareResults[i]!.latency.p99 },
        ],
      })),
    },
    {
      file: 'fanout-rss',
      title: 'Fan-out: RSS per idle stream (KB)',
      unit: 'KB',
      groups: appResults.map((a, i) => ({
        label: `${a.streams} streams`,
        bars: [
          { label: 'bare', value: bareResults[i]!.perStreamBytes / 1024 },
          { label: 'app', value: a.perStreamBytes / 1024 },
        ],
      })),
    },
  ];

  let diagnosis = '';
  try {
    if (process.env.BENCH_PROFILE !== '0' && (targets.some((t) => !t.met) || process.env.BENCH_PROFILE === '1')) {
      log('fanout: a target was missed; profiling the server and comparing heap snapshots');
      diagnosis = await diagnose(scratch.url);
    }
  } finally {
    await stopFanout();
    await closeDatabase();
    await scratch.drop();
    await redis?.kill();
    agent.destroy();
  }

  const markdown = [
    `One app instance (\`npm start\`: the app's Node entry serves the stream, src/server/chat-stream.ts) on PostgreSQL; streams opened ${OPEN_CONCURRENCY} at a time by plain node:http clients in the benchmark process`,
    `(one socket and one user each, session cookie, no Last-Event-ID), then ${RATE} messages/s for ${SECONDS} s, each to one random connected user,`,
    `sent with \`sendChatMessage\` from the benchmark process (stored, ${VIA === 'redis' ? "Redis PUBLISH, the app's subscriber" : "NOTIFY, the app's LISTEN connection"}, loaded, written to the stream).`,
    '`data.sentAt` (epoch ms with sub-ms precision) travels in the message; latency is receive time minus it. The baseline is a bare',
    "node:http SSE server (bench/lib/bare-sse-server.ts) in its own process that writes a POSTed event to the user's open streams:",
    "no framework, no database. The second baseline is the same server behind a publish that first commits the message's row with the",
    "app's statement shape (per-user cursor + INSERT, raw `pg`, pool of 10), the floor for a message that is stored before it is sent.",
    "RSS per idle stream: the server's resident set after the streams opened and idled 3 s, minus before,",
    'divided by the streams added. "publish p99": how long the publish call took (the app: `sendChatMessage`, INSERT commit + NOTIFY; the',
    'bare server: its POST). "server CPU": the CPU time of the server process during the publishing window (until every message arrived)',
    'divided by the messages. "load": the 1-minute load average before / after the publishing window (the machine is shared).',
    ...(capped
      ? [
          '',
          `Levels above ${FD_LIMIT - FD_RESERVE} streams are measured at ${FD_LIMIT - FD_RESERVE}: this machine allows ${FD_LIMIT} open files per process`,
          '(soft and hard limit; raising it needs CAP_SYS_RESOURCE, which the benchmark does not have), the server needs one per stream plus',
          `its database connections and listening sockets, and the benchmark process one per client socket; ${FD_RESERVE} are kept for the rest.`,
        ]
      : []),
    '',
    table(
      [
        'streams',
        'target',
        'received',
        'lost / dup',
        'p50 ms',
        'p99 ms',
        'max ms',
        'p99 vs bare',
        'p99 vs store-first',
        'publish p99 ms',
        'server CPU ms per message',
        'KB RSS per stream',
        'open s',
        'load',
      ],
      rows,
    ),
    ...(diagnosis ? ['', '#### Profile and heap', '', diagnosis] : []),
  ].join('\n');
  return {
    name: 'fanout',
    title: '3. Fan-out (SSE)',
    command: 'npm run bench -- fanout',
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    markdown,
    targets,
    charts,
    raw: {
      bare: bareResults,
      storeFirst: storeFirstResults,
      app: appResults,
      rate: RATE,
      seconds: SECONDS,
      fdLimit: FD_LIMIT,
      requested: REQUESTED,
      fanout: VIA,
    },
  };
}

runIfMain(import.meta.url, bench);
