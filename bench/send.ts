// Send path: chatResponseService.sendChatMessage vs a raw `pg` prepared INSERT of the same row,
// at 1, 8 and 32 concurrent senders, with the NOTIFY fan-out on and off. Run: npm run bench -- send
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import pg from 'pg';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { newId } from '@/lib/db/ids';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { NOTIFY_CHANNEL } from '@/lib/realtime/fanout';
import { BENCH_DIR, log, RESULTS_DIR, ROOT, runIfMain, scratchDatabase, table, type Section, type Target } from './lib/common';
import { profileMarkdown, summarizeProfile } from './lib/profile';
import { closedLoop, fmt, ratio, summarize, type ClosedLoopResult } from './lib/stats';

process.env.LOG_LEVEL = 'silent';

const POOL_SIZE = 10; // DATABASE_POOL_SIZE's default, for the service and every baseline
const USERS = 1_000;
const CONCURRENCY = (process.env.BENCH_SEND_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const ROUND_MS = Number(process.env.BENCH_SEND_ROUND_MS ?? 4_000);
const ROUNDS = Number(process.env.BENCH_SEND_ROUNDS ?? 3);

const CONTENT = 'Checking availability for "Meeting with Dana" on Wed, Nov 25 at 3:00 PM...';
const DATA = { step: 'availability', attendees: ['Dana'], startsAt: '2026-11-25T15:00:00.000Z' };

/** The raw baselines' id: 16 bytes from the CSPRNG, no time part (the issue's floor for the id cost). */
const rawId = () => randomBytes(16).toString('base64url');

type ConfigName = 'raw' | 'rawCursor' | 'rawNotify' | 'rawNotifyInline' | 'serviceOff' | 'serviceOn';
const CONFIGS: Array<{ name: ConfigName; label: string }> = [
  { name: 'raw', label: 'raw `pg` prepared INSERT (baseline)' },
  { name: 'rawCursor', label: 'raw prepared cursor+INSERT, one statement' },
  { name: 'rawNotify', label: 'the same + `SELECT pg_notify` after it (as the service)' },
  { name: 'rawNotifyInline', label: 'the same with `pg_notify` in its RETURNING' },
  { name: 'serviceOff', label: 'sendChatMessage, NOTIFY off' },
  { name: 'serviceOn', label: 'sendChatMessage, NOTIFY on' },
];

const RAW_INSERT = `INSERT INTO chat_messages (id, "userId", "orgId", "taskId", type, content, data, "idempotencyKey", position)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
// The same row with the service's per-user cursor, in one statement (its own transaction).
const RAW_CURSOR_INSERT = `WITH c AS (
  INSERT INTO chat_user_cursors ("userId", "lastPosition") VALUES ($2, 1)
  ON CONFLICT ("userId") DO UPDATE SET "lastPosition" = chat_user_cursors."lastPosition" + 1
  RETURNING "lastPosition")
INSERT INTO chat_messages (id, "userId", "orgId", "taskId", type, content, data, "idempotencyKey", position)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, c."lastPosition" FROM c`;
// NOTIFY inside the storing statement: delivered at its commit, no second round trip or commit.
const RAW_CURSOR_INSERT_NOTIFY = `${RAW_CURSOR_INSERT}
RETURNING position, pg_notify('${NOTIFY_CHANNEL}', json_build_object('userId', "userId", 'position', position)::text)`;

export async function bench(): Promise<Section> {
  const started = Date.now();
  const scratch = await scratchDatabase('send');
  const database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused', poolSize: POOL_SIZE });
  // NOTIFY off: the publish step's pg_notify goes to a pool that answers without a round trip;
  // everything else (the Drizzle handle, its pool) is the real one.
  const notifyOff: Database = {
    ...(database as Extract<Database, { kind: 'postgres' }>),
    pool: { query: async () => ({ rows: [] }) } as unknown as pg.Pool,
  };
  const rawPool = new pg.Pool({ connectionString: scratch.url, max: POOL_SIZE });
  rawPool.on('error', () => {}); // idle clients die when the scratch database is dropped
  // A listening instance, as a web server with open streams would have; it also proves NOTIFY ran.
  const listener = new pg.Client({ connectionString: scratch.url });
  listener.on('error', () => {});
  await listener.connect();
  let notifications = 0;
  listener.on('notification', () => notifications++);
  await listener.query(`LISTEN ${NOTIFY_CHANNEL}`);

  const rawPositions = new Map<string, number>();
  const userOf = (config: string, worker: number, i: number) => `${config}_u${(worker * 7919 + i * 31) % USERS}`;
  let serviceOnSends = 0;
  let rawNotifySends = 0;

  const ops: Record<ConfigName, (worker: number, i: number) => Promise<boolean>> = {
    raw: async (worker, i) => {
      const userId = userOf('raw', worker, i);
      const position = (rawPositions.get(userId) ?? 0) + 1;
      rawPositions.set(userId, position);
      await rawPool.query({
        name: 'raw_insert',
        text: RAW_INSERT,
        values: [rawId(), userId, null, `task_${worker}`, 'SCHEDULING_UPDATE', CONTENT, DATA, null, position],
      });
      return true;
    },
    rawCursor: async (worker, i) => {
      await rawPool.query({
        name: 'raw_cursor_insert',
        text: RAW_CURSOR_INSERT,
        values: [rawId(), userOf('cur', worker, i), null, `task_${worker}`, 'SCHEDULING_UPDATE', CONTENT, DATA, null],
      });
      return true;
    },
    rawNotify: async (worker, i) => {
      rawNotifySends++;
      const userId = userOf('rn', worker, i);
      const stored = await rawPool.query({
        name: 'raw_cursor_insert_returning',
        text: `${RAW_CURSOR_INSERT} RETURNING position`,
        values: [rawId(), userId, null, `task_${worker}`, 'SCHEDULING_UPDATE', CONTENT, DATA, null],
      });
      await rawPool.query('SELECT pg_notify($1, $2)', [
        NOTIFY_CHANNEL,
        JSON.stringify({ userId, position: Number(stored.rows[0].position) }),
      ]);
      return true;
    },
    rawNotifyInline: async (worker, i) => {
      rawNotifySends++;
      await rawPool.query({
        name: 'raw_cursor_insert_notify',
        text: RAW_CURSOR_INSERT_NOTIFY,
        values: [rawId(), userOf('ri', worker, i), null, `task_${worker}`, 'SCHEDULING_UPDATE', CONTENT, DATA, null],
      });
      return true;
    },
    serviceOff: async (worker, i) => send(userOf('off', worker, i), worker),
    serviceOn: async (worker, i) => {
      serviceOnSends++;
      return send(userOf('on', worker, i), worker);
    },
  };
  async function send(userId: string, worker: number): Promise<boolean> {
    const result = await chatResponseService.sendChatMessage({
      type: 'scheduling_update',
      taskId: `task_${worker}`,
      userId,
      content: CONTENT,
      data: DATA,
      timestamp: new Date().toISOString(),
    });
    return result.success;
  }
  function install(config: ConfigName): void {
    setDatabase(config === 'serviceOff' ? notifyOff : database);
  }

  const results: Record<number, Record<ConfigName, ClosedLoopResult[]>> = {};
  /** This process's CPU time (user + system, µs) per configuration and concurrency, over all rounds. */
  const cpuMicros: Record<number, Record<ConfigName, number>> = {};
  for (const concurrency of CONCURRENCY) {
    const perConfig = Object.fromEntries(CONFIGS.map(({ name }) => [name, []])) as unknown as Record<ConfigName, ClosedLoopResult[]>;
    results[concurrency] = perConfig;
    cpuMicros[concurrency] = Object.fromEntries(CONFIGS.map(({ name }) => [name, 0])) as Record<ConfigName, number>;
    for (const { name } of CONFIGS) {
      install(name);
      await closedLoop({ concurrency, durationMs: 800, op: ops[name] }); // warm-up (JIT, prepared statements, pool)
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so drift on the shared machine does not favour one configuration.
      const order = CONFIGS.map((_, k) => CONFIGS[(k + round) % CONFIGS.length]!);
      for (const { name } of order) {
        install(name);
        const cpuBefore = process.cpuUsage();
        const r = await closedLoop({ concurrency, durationMs: ROUND_MS, op: ops[name] });
        const cpu = process.cpuUsage(cpuBefore);
        cpuMicros[concurrency]![name] += cpu.user + cpu.system;
        if (r.errors > 0) throw new Error(`${name} at ${concurrency}: ${r.errors} errors, first: ${r.firstError}`);
        perConfig[name].push(r);
        log(`send c=${concurrency} ${name} round ${round + 1}/${ROUNDS}: ${fmt((r.ops / r.elapsedMs) * 1000)} msg/s`);
      }
    }
  }
  install('serviceOn');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const notifyCheck = { serviceOnSends, notifyingSends: serviceOnSends + rawNotifySends, notificationsHeard: notifications };

  // Figures: throughput over all rounds; p99 over all latencies of all rounds.
  const figures = Object.fromEntries(
    CONCURRENCY.map((c) => [
      c,
      Object.fromEntries(
        CONFIGS.map(({ name }) => {
          const runs = results[c]![name];
          const ops = runs.reduce((s, r) => s + r.ops, 0);
          const ms = runs.reduce((s, r) => s + r.elapsedMs, 0);
          const perRound = runs.map((r) => (r.ops / r.elapsedMs) * 1000);
          return [
            name,
            {
              throughput: (ops / ms) * 1000,
              perRound,
              latency: summarize(runs.flatMap((r) => r.latencies)),
              cpuMicrosPerMessage: cpuMicros[c]![name] / ops,
            },
          ];
        }),
      ),
    ]),
  ) as Record<
    number,
    Record<ConfigName, { throughput: number; perRound: number[]; latency: ReturnType<typeof summarize>; cpuMicrosPerMessage: number }>
  >;

  const rows: Array<Array<string | number>> = [];
  const targets: Target[] = [];
  for (const c of CONCURRENCY) {
    const f = figures[c]!;
    for (const { name, label } of CONFIGS) {
      const x = f[name];
      rows.push([
        c,
        label,
        fmt(x.throughput),
        x.perRound.map((v) => fmt(v)).join(' / '),
        fmt(x.latency.p50),
        fmt(x.latency.p99),
        name === 'raw' ? '1' : `${fmt(ratio(x.throughput, f.raw.throughput))}x`,
        name === 'raw' ? '1' : `${fmt(ratio(x.latency.p99, f.raw.latency.p99))}x`,
        fmt(x.cpuMicrosPerMessage),
      ]);
    }
    const off = ratio(f.serviceOff.throughput, f.raw.throughput);
    const onOff = ratio(f.serviceOn.throughput, f.serviceOff.throughput);
    targets.push({
      name: `send c=${c}: sendChatMessage (NOTIFY off) / raw INSERT, msg/s`,
      measured: `${fmt(off)}x`,
      target: '>= 0.9x',
      met: off >= 0.9,
    });
    if (c === 1) {
      // One sender waits for every NOTIFY's commit in turn: raw SQL pays the same, so its own
      // on/off ratio (the better of the two raw NOTIFY forms) is the floor here.
      const floor = ratio(Math.max(f.rawNotify.throughput, f.rawNotifyInline.throughput), f.rawCursor.throughput);
      targets.push({
        name: `send c=1: NOTIFY on / NOTIFY off, msg/s (raw NOTIFY / raw cursor INSERT: ${fmt(floor)}x, the floor)`,
        measured: `${fmt(onOff)}x`,
        target: '>= 0.8x or >= the raw floor',
        met: onOff >= 0.8 || onOff >= floor,
      });
    } else {
      targets.push({
        name: `send c=${c}: NOTIFY on / NOTIFY off, msg/s`,
        measured: `${fmt(onOff)}x`,
        target: '>= 0.8x',
        met: onOff >= 0.8,
      });
    }
  }

  await listener.end();
  await rawPool.end();
  await closeDatabase();
  await scratch.drop();

  // The ids: the service's newId against the raw baselines' 16 random bytes, same run.
  const perCall = (fn: () => unknown, n = 3_000) => {
    for (let i = 0; i < 300; i++) fn();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    return ((performance.now() - t0) / n) * 1000;
  };
  const idCost = { newIdMicros: perCall(() => newId(), 100_000), randomBytesMicros: perCall(rawId, 100_000) };

  let profile = '';
  if (process.env.BENCH_PROFILE !== '0' && (targets.some((t) => !t.met) || process.env.BENCH_PROFILE === '1')) {
    log('send: a target was missed; profiling sendChatMessage (NOTIFY off, 8 senders) under --cpu-prof');
    profile = await profileSends();
  }

  const markdown = [
    `Closed loop: each of N senders sends its next message as soon as the previous one returns. ${USERS} users per configuration,`,
    `pool size ${POOL_SIZE} everywhere (DATABASE_POOL_SIZE's default), ${ROUNDS} rounds of ${ROUND_MS / 1000} s per configuration`,
    'and concurrency, interleaved in rotating order; throughput is over all rounds (per-round figures shown), latency',
    'percentiles over every send. The row is the same in every configuration: an id, user, task, type, a 75-character',
    'content and a small `data` object. "NOTIFY off" replaces the publish step\'s `pg_notify` with a no-op; "on" runs it',
    `with one LISTEN connection attached (it heard ${notifyCheck.notificationsHeard} notifications for ${notifyCheck.notifyingSends} notifying sends).`,
    'The two "pg_notify" rows are raw too: the NOTIFY as a second statement after the store (what the publish step does), and inside',
    'the storing statement (`RETURNING ..., pg_notify(...)`, delivered at its commit).',
    '',
    '"client CPU": the sending process\'s own CPU time (user + system) per message over all rounds, the load generator\'s',
    'loop included: what the service adds on the Node side is its row minus the raw cursor row.',
    '',
    table(['senders', 'configuration', 'msg/s', 'per round', 'p50 ms', 'p99 ms', 'msg/s vs raw', 'p99 vs raw', 'client CPU µs/msg'], rows),
    '',
    `Ids: the service's \`newId()\` (time-ordered, 125 random bits, src/lib/db/ids.ts) ${fmt(idCost.newIdMicros)} µs per call; the raw`,
    `baselines' \`crypto.randomBytes(16)\` as base64url ${fmt(idCost.randomBytesMicros)} µs (same process, same run).`,
    ...(profile ? ['', '#### Profile', '', profile] : []),
  ].join('\n');

  return {
    name: 'send',
    title: '1. Send path',
    command: 'npm run bench -- send',
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    markdown,
    targets,
    raw: { figures, notifyCheck, idCost, poolSize: POOL_SIZE, users: USERS, roundMs: ROUND_MS, rounds: ROUNDS },
  };
}

const PROFILE_SENDERS = 8;
const PROFILE_MS = 6_000;

/** Runs this file again under --cpu-prof in profile-only mode and summarizes the profile. */
async function profileSends(): Promise<string> {
  const dir = path.join(RESULTS_DIR, 'profiles', 'send');
  fs.rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'send.ts')], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SEND_PROFILE_ONLY: dir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`profiling run exited with ${code}`))));
  });
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  if (!file) return '(no CPU profile written)';
  return `V8's CPU profiler (node:inspector) in a process running only \`sendChatMessage\` (NOTIFY off, ${PROFILE_SENDERS} senders), started after start-up, migration and a warm-up, over ${PROFILE_MS / 1000} s of sending only:\n\n${profileMarkdown(summarizeProfile(file, 14), 14)}`;
}

/**
 * Profile-only mode: PROFILE_SENDERS senders for PROFILE_MS on a scratch database, under V8's CPU
 * profiler for exactly that window (start-up, module loading and the warm-up are not in it); writes
 * the .cpuprofile into `dir`.
 */
async function profileOnly(dir: string): Promise<void> {
  const scratch = await scratchDatabase('sendprof');
  const database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused', poolSize: POOL_SIZE });
  setDatabase({
    ...(database as Extract<Database, { kind: 'postgres' }>),
    pool: { query: async () => ({ rows: [] }) } as unknown as pg.Pool,
  });
  const op = async (worker: number, i: number) =>
    (
      await chatResponseService.sendChatMessage({
        type: 'scheduling_update',
        taskId: `task_${worker}`,
        userId: `p_u${(worker * 7919 + i * 31) % USERS}`,
        content: CONTENT,
        data: DATA,
      })
    ).success;
  await closedLoop({ concurrency: PROFILE_SENDERS, durationMs: 1_000, op }); // warm-up: JIT, prepared statements, pool
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await closedLoop({ concurrency: PROFILE_SENDERS, durationMs: PROFILE_MS, op });
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `send-${process.pid}.cpuprofile`), JSON.stringify(profile));
  await database.close();
  await scratch.drop();
}

if (process.env.BENCH_SEND_PROFILE_ONLY) {
  profileOnly(process.env.BENCH_SEND_PROFILE_ONLY).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  runIfMain(import.meta.url, bench);
}
