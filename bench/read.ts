// Read path: GET /api/chat-messages on the app's Node entry (`npm start`) over 1,000,000 stored messages and 10,000 users,
// vs an empty route handler of the same build and vs the same SQL run raw. Run: npm run bench -- read
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startBenchApp, type BenchApp } from './lib/app';
import { log, mintSessionToken, RESULTS_DIR, runIfMain, table, type Section, type Target } from './lib/common';
import { explainServiceQueries, type ExplainedQuery } from './lib/explain';
import { httpLoad, type HttpLoadResult } from './lib/load';
import { profileMarkdown, summarizeProfile } from './lib/profile';
import { SEED, seededDatabase, seededUserId } from './lib/seed';
import { closedLoop, fmt, ratio, summarize } from './lib/stats';

process.env.LOG_LEVEL = 'silent';

const CONNECTIONS = Number(process.env.BENCH_READ_CONNECTIONS ?? 16);
const ROUND_SECONDS = Number(process.env.BENCH_READ_ROUND_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_READ_ROUNDS ?? 3);
const POOL_SIZE = 10; // the app's DATABASE_POOL_SIZE default; the raw baseline uses the same
const API_PATH = '/api/chat-messages?limit=50';
const EMPTY_PATH = '/api/bench/empty';
const LADDER_ROUNDS = 2;
const LADDER_SECONDS = 5;
/** Each rung does what the one above does, and one thing more. */
const LADDER: Array<{ label: string; path: string; cookie: boolean; status: number; adds: string }> = [
  { label: 'empty route handler', path: EMPTY_PATH, cookie: false, status: 200, adds: 'Next.js routing and a JSON response' },
  {
    label: 'GET /api/chat-messages, no cookie',
    path: '/api/chat-messages',
    cookie: false,
    status: 401,
    adds: 'our route wrapper, the error JSON',
  },
  {
    label: 'GET /api/chat-messages?limit=0',
    path: '/api/chat-messages?limit=0',
    cookie: true,
    status: 400,
    adds: 'the session (cached decrypt), the local-first rate limit (batched to PostgreSQL every 250 ms), query validation',
  },
  {
    label: 'GET /api/chat-messages/unread-count',
    path: '/api/chat-messages/unread-count',
    cookie: true,
    status: 200,
    adds: 'one indexed count query',
  },
  {
    label: 'GET /api/chat-messages?limit=50',
    path: API_PATH,
    cookie: true,
    status: 200,
    adds: 'the page query instead (20 rows with the count), mapping and a 5 KB JSON body',
  },
];

/** Session cookies for the first `users` seeded users, handed out round-robin (no user nears the rate limit). */
export async function sessionCookies(users: number, databaseUrl: string): Promise<() => string> {
  const cookies: string[] = [];
  for (let u = 0; u < users; u++) cookies.push(`next-auth.session-token=${await mintSessionToken(seededUserId(u), databaseUrl)}`);
  let next = 0;
  return () => cookies[next++ % cookies.length]!;
}

/** Signs one seeded user in through NextAuth and checks that a real and a minted session read alike. */
export async function checkSessions(app: BenchApp, u: number, databaseUrl: string): Promise<string> {
  const base = app.baseUrl;
  const csrfResponse = await fetch(`${base}/api/auth/csrf`);
  const jar = csrfResponse.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const signIn = await fetch(`${base}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar },
    body: new URLSearchParams({ csrfToken, email: `user${u}@bench.invalid`, password: SEED.password, json: 'true' }),
  });
  const session = signIn.headers
    .getSetCookie()
    .find((c) => c.startsWith('next-auth.session-token='))
    ?.split(';')[0];
  if (!session) throw new Error(`real sign-in failed: ${signIn.status}`);
  const minted = `next-auth.session-token=${await mintSessionToken(seededUserId(u), databaseUrl)}`;
  const read = async (cookie: string) => {
    const response = await fetch(`${base}${API_PATH}`, { headers: { cookie } });
    return { status: response.status, body: (await response.json()) as { messages: unknown[]; total: number; hasMore: boolean } };
  };
  const [real, fake] = await Promise.all([read(session), read(minted)]);
  if (real.status !== 200 || fake.status !== 200 || JSON.stringify(real.body) !== JSON.stringify(fake.body)) {
    throw new Error(`real and minted sessions differ: ${real.status} ${fake.status}`);
  }
  if (real.body.total !== SEED.unreadPerUser || real.body.messages.length !== SEED.unreadPerUser) {
    throw new Error(`unexpected unread list for user ${u}: total ${real.body.total}, ${real.body.messages.length} messages`);
  }
  return `a real NextAuth sign-in and a minted token for user ${u} both got 200 with the same body (${real.body.total} unread)`;
}

/** Runs the API under load in a server started with --cpu-prof and summarizes where its CPU went. */
export async function profileServer(options: {
  databaseUrl: string;
  name: string;
  path: string;
  cookie?: () => string;
  /** Requests that pass every cookie once before the profiled load (session cache, rate-limit rows). */
  warmRequests: number;
  seconds: number;
  connections: number;
}): Promise<string> {
  const dir = path.join(RESULTS_DIR, 'profiles', options.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const app = await startBenchApp({ databaseUrl: options.databaseUrl, cpuProfDir: dir });
  try {
    await httpLoad({
      label: 'warm-up',
      baseUrl: app.baseUrl,
      path: options.path,
      connections: options.connections,
      seconds: 0,
      amount: options.warmRequests,
      cookie: options.cookie,
    });
    await httpLoad({
      label: 'profiled',
      baseUrl: app.baseUrl,
      path: options.path,
      connections: options.connections,
      seconds: options.seconds,
      cookie: options.cookie,
    });
  } finally {
    await app.stop();
  }
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length === 0) return '(the server wrote no CPU profile)';
  const biggest = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
  return (
    `\`node --cpu-prof\` of another \`npm start\` process: start-up, ${options.warmRequests.toLocaleString('en-US')} warm-up requests (every cookie once), ` +
    `then ${options.seconds} s of the same load (${path.relative(path.dirname(RESULTS_DIR), biggest)}):\n\n${profileMarkdown(summarizeProfile(biggest, 14), 14)}`
  );
}

export async function bench(): Promise<Section> {
  const started = Date.now();
  const seed = await seededDatabase();

  const sampleUser = 42;
  const md5id = (u: number, p: number) => createHash('md5').update(`${u}:${p}`).digest('hex').slice(0, 24);
  const plans = await explainServiceQueries(seed.url, {
    userId: seededUserId(sampleUser),
    taskId: `task_${sampleUser}_19`,
    messageIds: [md5id(sampleUser, 95), md5id(sampleUser, 96)],
  });

  const cookie = await sessionCookies(SEED.users, seed.url);
  const app = await startBenchApp({ databaseUrl: seed.url });
  let sessionCheck: string;
  const runs: Record<'empty' | 'api', HttpLoadResult[]> = { empty: [], api: [] };
  const rawRuns: Array<{ ops: number; elapsedMs: number; latencies: number[] }> = [];
  const ladder: Record<string, number[]> = {};
  let rawStatements = 0;
  try {
    sessionCheck = await checkSessions(app, 7, seed.url);
    // Warm-up: JIT, pools, and one request per user (its session token decoded and cached, its
    // local rate-limit budget started), as a server that has been answering these users' polls would be.
    await httpLoad({ label: 'warm', baseUrl: app.baseUrl, path: EMPTY_PATH, connections: CONNECTIONS, seconds: 3 });
    await httpLoad({
      label: 'warm',
      baseUrl: app.baseUrl,
      path: API_PATH,
      connections: CONNECTIONS,
      seconds: 0,
      amount: SEED.users,
      cookie,
    });

    // The raw baseline: the statements getUnreadMessages sends, as captured, prepared on a pool of the same size.
    const statements = plans.filter((p) => p.label === 'getUnreadMessages');
    if (statements.length === 0) throw new Error('no SQL captured for getUnreadMessages');
    rawStatements = statements.length;
    const rawPool = new pg.Pool({ connectionString: seed.url, max: POOL_SIZE });
    rawPool.on('error', () => {});
    const rawOp = async (worker: number, i: number) => {
      const userId = seededUserId((worker * 7919 + i * 131) % SEED.users);
      const swap = (values: unknown[]) => values.map((v) => (v === seededUserId(sampleUser) ? userId : v));
      const [first] = await Promise.all(
        statements.map((statement, k) => rawPool.query({ name: `raw_unread_${k}`, text: statement.text, values: swap(statement.values) })),
      );
      return first!.rowCount === SEED.unreadPerUser;
    };
    await closedLoop({ concurrency: CONNECTIONS, durationMs: 2_000, op: rawOp });

    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['empty', 'api', 'raw'] as const) : (['raw', 'api', 'empty'] as const);
      for (const which of order) {
        if (which === 'raw') {
          const r = await closedLoop({ concurrency: CONNECTIONS, durationMs: ROUND_SECONDS * 1000, op: rawOp });
          if (r.errors) throw new Error(`raw SQL: ${r.errors} errors (${r.firstError})`);
          rawRuns.push(r);
          log(`read round ${round + 1}: raw SQL ${fmt((r.ops / r.elapsedMs) * 1000)} ops/s`);
          continue;
        }
        const r = await httpLoad({
          label: which,
          baseUrl: app.baseUrl,
          path: which === 'api' ? API_PATH : EMPTY_PATH,
          connections: CONNECTIONS,
          seconds: ROUND_SECONDS,
          cookie: which === 'api' ? cookie : undefined,
        });
        if (r.non2xx || r.errors)
          throw new Error(
            `${which}: ${r.non2xx} non-2xx, ${r.errors} errors: ${JSON.stringify(r.statusCodes)}\n${app.logs().slice(-3000)}`,
          );
        runs[which].push(r);
        log(`read round ${round + 1}: ${which} ${fmt(r.rps)} req/s p99 ${r.p99} ms`);
      }
    }
    await rawPool.end();

    // Where the time goes: existing endpoints that stop at successive layers of the same request.
    for (let round = 0; round < LADDER_ROUNDS; round++) {
      for (const rung of LADDER) {
        const r = await httpLoad({
          label: rung.label,
          baseUrl: app.baseUrl,
          path: rung.path,
          connections: CONNECTIONS,
          seconds: LADDER_SECONDS,
          cookie: rung.cookie ? cookie : undefined,
        });
        if (r.errors || Object.keys(r.statusCodes).some((code) => Number(code) !== rung.status)) {
          throw new Error(`ladder ${rung.label}: expected only ${rung.status}, got ${JSON.stringify(r.statusCodes)}, ${r.errors} errors`);
        }
        (ladder[rung.label] ??= []).push(r.total / r.durationSeconds);
      }
    }
  } finally {
    await app.stop();
  }

  const agg = (list: HttpLoadResult[]) => {
    const total = list.reduce((s, r) => s + r.rps * r.durationSeconds, 0);
    const seconds = list.reduce((s, r) => s + r.durationSeconds, 0);
    // autocannon reports percentiles per run; the figure is the median run's.
    const byP99 = [...list].sort((a, b) => a.p99 - b.p99);
    const byP50 = [...list].sort((a, b) => a.p50 - b.p50);
    return {
      rps: total / seconds,
      p50: byP50[Math.floor(list.length / 2)]!.p50,
      p99: byP99[Math.floor(list.length / 2)]!.p99,
      perRound: list.map((r) => r.rps),
    };
  };
  const empty = agg(runs.empty);
  const api = agg(runs.api);
  const rawLat = summarize(rawRuns.flatMap((r) => r.latencies));
  const raw = {
    ops: rawRuns.reduce((s, r) => s + r.ops, 0) / (rawRuns.reduce((s, r) => s + r.elapsedMs, 0) / 1000),
    perRound: rawRuns.map((r) => (r.ops / r.elapsedMs) * 1000),
    p50: rawLat.p50,
    p99: rawLat.p99,
  };

  const rpsRatio = ratio(api.rps, empty.rps);
  const p99Ratio = ratio(api.p99, empty.p99);
  const everyIndexed = plans.every((p) => p.usesIndex && !p.seqScanOnMessages);
  const targets: Target[] = [
    { name: 'read: GET /api/chat-messages req/s vs empty handler', measured: `${fmt(rpsRatio)}x`, target: '>= 0.7x', met: rpsRatio >= 0.7 },
    { name: 'read: GET /api/chat-messages p99 vs empty handler', measured: `${fmt(p99Ratio)}x`, target: '<= 2x', met: p99Ratio <= 2 },
    {
      name: 'read: EXPLAIN shows index use for every service query',
      measured: `${plans.filter((p) => p.usesIndex && !p.seqScanOnMessages).length}/${plans.length}`,
      target: 'all',
      met: everyIndexed,
    },
  ];

  let profile = '';
  if (process.env.BENCH_PROFILE !== '0' && (targets.some((t) => !t.met) || process.env.BENCH_PROFILE === '1')) {
    log('read: a target was missed; profiling the server');
    // 1,000 of the users, so the warm-up pass is short next to the profiled load.
    profile = await profileServer({
      databaseUrl: seed.url,
      name: 'read',
      path: API_PATH,
      cookie: await sessionCookies(1_000, seed.url),
      warmRequests: 1_000,
      seconds: 10,
      connections: CONNECTIONS,
    });
  }

  const rows = [
    [
      'empty route handler (baseline)',
      fmt(empty.rps),
      empty.perRound.map((v) => fmt(v)).join(' / '),
      fmt(empty.p50),
      fmt(empty.p99),
      '1',
      '1',
    ],
    [
      'GET /api/chat-messages?limit=50',
      fmt(api.rps),
      api.perRound.map((v) => fmt(v)).join(' / '),
      fmt(api.p50),
      fmt(api.p99),
      `${fmt(rpsRatio)}x`,
      `${fmt(p99Ratio)}x`,
    ],
    [
      `its SQL (${rawStatements} statement${rawStatements > 1 ? 's' : ''}), raw \`pg\` (ops/s)`,
      fmt(raw.ops),
      raw.perRound.map((v) => fmt(v)).join(' / '),
      fmt(raw.p50),
      fmt(raw.p99),
      `${fmt(ratio(raw.ops, empty.rps))}x`,
      `${fmt(ratio(raw.p99, empty.p99))}x`,
    ],
  ];
  const markdown = [
    `${seed.rows.toLocaleString('en-US')} messages over ${SEED.users.toLocaleString('en-US')} users (${SEED.perUser} each, the newest ${SEED.unreadPerUser} unread), seeded with`,
    `INSERT ... SELECT generate_series in time order${seed.seedSeconds ? ` in ${fmt(seed.seedSeconds)} s` : ''}, then VACUUM ANALYZE. \`npm start\` (the app's Node entry, production build; it serves these reads before Next.js, the empty handler through Next.js) on loopback,`,
    `autocannon with ${CONNECTIONS} keep-alive connections, ${ROUNDS} rounds of ${ROUND_SECONDS} s per target, interleaved, after one warm-up request per user; every`,
    `API request carries the session cookie of the next of the ${SEED.users.toLocaleString('en-US')} users (each gets 200: the list of its ${SEED.unreadPerUser} unread messages and the total).`,
    `Sessions: ${sessionCheck!}. The raw baseline runs the SQL the service sends (captured from its pool)`,
    `as named prepared statements on a \`pg\` pool of ${POOL_SIZE} with ${CONNECTIONS} concurrent callers. Latency: the median round's percentile.`,
    '',
    table(['target', 'req/s', 'per round', 'p50 ms', 'p99 ms', 'req/s vs empty', 'p99 vs empty'], rows),
    '',
    '#### Where the time goes',
    '',
    `Existing endpoints that stop at successive layers of a request, same server and load (${LADDER_ROUNDS} rounds of ${LADDER_SECONDS} s each, interleaved).`,
    'The added time per request is the difference of 1 / (req/s) to the rung above: the server and the load generator share the',
    'two cores, so it is the cost of that layer in machine time, not a latency.',
    '',
    table(
      ['endpoint (answer)', 'adds', 'req/s', 'per round', 'ms per request', 'added vs the rung above'],
      LADDER.map((rung, k) => {
        const rps = ladder[rung.label]!.reduce((a, b) => a + b, 0) / ladder[rung.label]!.length;
        const prev = k > 0 ? ladder[LADDER[k - 1]!.label]!.reduce((a, b) => a + b, 0) / ladder[LADDER[k - 1]!.label]!.length : undefined;
        return [
          `${rung.label} (${rung.status})`,
          rung.adds,
          fmt(rps),
          ladder[rung.label]!.map((v) => fmt(v)).join(' / '),
          fmt(1000 / rps),
          prev === undefined ? '' : `${fmt(1000 / rps - 1000 / prev)} ms`,
        ];
      }),
    ),
    '',
    '#### EXPLAIN (ANALYZE, BUFFERS) of every query the service runs, on this data set',
    '',
    'Captured from the SQL the service sends for user `user_00042` (writes explained inside a rolled-back transaction).',
    '',
    ...plans.flatMap((p: ExplainedQuery) => [
      `**${p.label}**${p.usesIndex && !p.seqScanOnMessages ? '' : ' (NO INDEX USE)'}`,
      '',
      '```sql',
      p.text,
      '```',
      '```',
      p.plan,
      '```',
      '',
    ]),
    ...(profile ? ['#### Profile', '', profile] : []),
  ].join('\n');

  return {
    name: 'read',
    title: '2. Read path',
    command: 'npm run bench -- read',
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    markdown,
    targets,
    raw: { empty, api, raw, runs, ladder, connections: CONNECTIONS, seed },
  };
}

runIfMain(import.meta.url, bench);
