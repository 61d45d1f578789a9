// Polling load: 2,000 simulated users, each polling GET /api/chat-messages every 5 s with its own
// session cookie and connection, for 60 s; error rate and latency, against the same schedule on the
// empty route handler. Run: npm run bench -- polling
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startBenchApp, type BenchApp } from './lib/app';
import { log, mintSessionToken, RESULTS_DIR, runIfMain, sleep, table, type Section, type Target } from './lib/common';
import { profileMarkdown, summarizeProfile } from './lib/profile';
import { SEED, seededDatabase, seededUserId } from './lib/seed';
import { fmt, ratio, summarize } from './lib/stats';

process.env.LOG_LEVEL = 'silent';

const USERS = Number(process.env.BENCH_POLL_USERS ?? 2_000);
const INTERVAL_MS = 5_000;
const SECONDS = Number(process.env.BENCH_POLL_SECONDS ?? 60);
const BASELINE_SECONDS = Number(process.env.BENCH_POLL_BASELINE_SECONDS ?? 30);
const PATH = process.env.BENCH_POLL_PATH ?? '/api/chat-messages?limit=50';

interface PollResult {
  label: string;
  sent: number;
  ok: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  latency: ReturnType<typeof summarize>;
  /** Latency per 5-second window of send time. */
  windows: Array<{ fromSecond: number } & ReturnType<typeof summarize>>;
  rawLatencies: Array<{ window: number; ms: number }>;
  seconds: number;
  peakRss: number;
}

function get(agent: http.Agent, port: number, path: string, cookie?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent, headers: cookie ? { cookie } : {}, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Open loop: every user fires on its own 5-second schedule (first poll at a random point of the
 * first interval) whether or not its previous poll has answered, as setInterval in a tab does,
 * so a slow server cannot slow the load down and hide its own latency.
 */
async function pollLoad(app: BenchApp, label: string, path: string, seconds: number, cookies: string[] | null): Promise<PollResult> {
  const latencies: number[] = [];
  const byWindow = new Map<number, number[]>();
  const rawLatencies: Array<{ window: number; ms: number }> = [];
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, app.rss())), 500);
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: USERS }, async (_, u) => {
      // One connection per user, as each browser has its own.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const inflight: Array<Promise<void>> = [];
      for (let at = started + Math.random() * INTERVAL_MS; at < end; at += INTERVAL_MS) {
        const wait = at - performance.now();
        if (wait > 0) await sleep(wait);
        sent++;
        const t0 = performance.now();
        inflight.push(
          get(agent, app.port, path, cookies?.[u]).then(
            (status) => {
              statuses[status] = (statuses[status] ?? 0) + 1;
              if (status === 200) {
                ok++;
                const ms = performance.now() - t0;
                latencies.push(ms);
                const window = Math.floor((t0 - started) / INTERVAL_MS);
                const list = byWindow.get(window) ?? [];
                list.push(ms);
                byWindow.set(window, list);
                rawLatencies.push({ window, ms });
              }
            },
            (err: Error & { code?: string }) => {
              const key = err.code ?? err.message;
              errors[key] = (errors[key] ?? 0) + 1;
            },
          ),
        );
      }
      await Promise.all(inflight);
      agent.destroy();
    }),
  );
  clearInterval(rssTimer);
  const windows = [...byWindow]
    .sort((a, b) => a[0] - b[0])
    .map(([w, values]) => ({ fromSecond: w * (INTERVAL_MS / 1000), ...summarize(values) }));
  return {
    label,
    sent,
    ok,
    statuses,
    errors,
    latency: summarize(latencies),
    windows,
    rawLatencies,
    seconds: (performance.now() - started) / 1000,
    peakRss,
  };
}

/** Seconds of load the diagnostic run profiles: the first windows, where the tail is. */
const PROFILE_SECONDS = 15;

/**
 * When the tail is far above the empty handler's: one more app instance under `node --cpu-prof`,
 * the same users polling for PROFILE_SECONDS from a cold start (every user's first requests).
 */
async function profilePolling(databaseUrl: string, cookies: string[]): Promise<string> {
  const dir = path.join(RESULTS_DIR, 'profiles', 'polling');
  fs.rmSync(dir, { recursive: true, force: true });
  const app = await startBenchApp({ databaseUrl, cpuProfDir: dir });
  try {
    for (let i = 0; i < 20; i++) await get(new http.Agent(), app.port, PATH, cookies[i]);
    await pollLoad(app, PATH, PATH, PROFILE_SECONDS, cookies);
  } finally {
    await app.stop();
  }
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  if (!file) return '(no CPU profile written)';
  return `\`node --cpu-prof\` of another app instance: start-up, 20 warm-up requests, then the same ${USERS.toLocaleString('en-US')} users polling for ${PROFILE_SECONDS} s from a cold start (${path.relative(RESULTS_DIR, file)}):\n\n${profileMarkdown(summarizeProfile(file, 14), 14)}`;
}

export async function bench(): Promise<Section> {
  const started = Date.now();
  const seed = await seededDatabase();
  const cookies: string[] = [];
  for (let u = 0; u < USERS; u++) cookies.push(`next-auth.session-token=${await mintSessionToken(seededUserId(u), seed.url)}`);
  const app = await startBenchApp({ databaseUrl: seed.url });
  let api: PollResult;
  let empty: PollResult;
  try {
    // Warm the route (first requests compile and open pools).
    for (let i = 0; i < 20; i++) await get(new http.Agent(), app.port, PATH, cookies[i]);
    log(`polling: ${USERS} users every ${INTERVAL_MS / 1000} s for ${SECONDS} s on ${PATH}`);
    api = await pollLoad(app, PATH, PATH, SECONDS, cookies);
    log(`polling: ${api.ok}/${api.sent} ok, p99 ${fmt(api.latency.p99)} ms; baseline on the empty handler`);
    empty = await pollLoad(app, 'empty handler', '/api/bench/empty', BASELINE_SECONDS, null);
  } finally {
    await app.stop();
  }
  const errorCount = (r: PollResult) => r.sent - r.ok;
  const steady = summarize(api.rawLatencies.filter((l) => l.window > 0).map((l) => l.ms));
  const errorRate = errorCount(api) / api.sent;
  let profile = '';
  if (process.env.BENCH_PROFILE === '1' || (process.env.BENCH_PROFILE !== '0' && api.latency.p99 > 5 * empty.latency.p99)) {
    log(`polling: p99 is over 5x the empty handler's; profiling ${PROFILE_SECONDS} s from a cold start`);
    profile = await profilePolling(seed.url, cookies);
  }
  const targets: Target[] = [
    {
      name: `polling: ${USERS} users every 5 s for ${SECONDS} s, error rate`,
      measured: `${errorCount(api)}/${api.sent}`,
      target: '0',
      met: errorCount(api) === 0,
    },
  ];
  const row = (r: PollResult) => [
    r.label,
    r.sent,
    fmt(r.sent / r.seconds),
    `${errorCount(r)} (${(100 * (errorCount(r) / r.sent)).toFixed(2)}%)`,
    fmt(r.latency.p50),
    fmt(r.latency.p90),
    fmt(r.latency.p99),
    fmt(r.latency.max),
    `${Math.round(r.peakRss / 1024 / 1024)} MB`,
  ];
  const markdown = [
    `${USERS.toLocaleString('en-US')} simulated users of the seeded data set (${SEED.perUser} messages each, ${SEED.unreadPerUser} unread), each with its own session cookie and`,
    `keep-alive connection, polling \`GET ${PATH}\` every ${INTERVAL_MS / 1000} s (first poll at a random point of the first interval; open loop, no retries)`,
    `for ${SECONDS} s; the baseline runs the same schedule against the empty route handler for ${BASELINE_SECONDS} s. Statuses: ${JSON.stringify(api.statuses)}${
      Object.keys(api.errors).length ? `, errors: ${JSON.stringify(api.errors)}` : ''
    }.`,
    '',
    table(['target', 'requests', 'req/s', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server peak RSS'], [row(api), row(empty)]),
    '',
    `p99 vs the empty handler under the same schedule: ${fmt(ratio(api.latency.p99, empty.latency.p99))}x. Error rate ${(errorRate * 100).toFixed(2)}%.`,
    '',
    `Latency of \`${PATH}\` by the ${INTERVAL_MS / 1000}-second window its request was sent in (the first window holds every user's first poll:`,
    'cold session-token cache, first rate-limit row of each user, the first connection of each user):',
    '',
    table(
      ['window', 'requests', 'p50 ms', 'p99 ms', 'max ms'],
      api.windows.map((w) => [`${w.fromSecond}-${w.fromSecond + INTERVAL_MS / 1000} s`, w.count, fmt(w.p50), fmt(w.p99), fmt(w.max)]),
    ),
    '',
    `After the first window: p99 ${fmt(steady.p99)} ms (p50 ${fmt(steady.p50)} ms).`,
    ...(profile ? ['', '#### Profile', '', profile] : []),
  ].join('\n');
  return {
    name: 'polling',
    title: '4. Polling load',
    command: 'npm run bench -- polling',
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    markdown,
    targets,
    raw: { api: { ...api, rawLatencies: undefined }, empty: { ...empty, rawLatencies: undefined }, users: USERS, seconds: SECONDS },
  };
}

runIfMain(import.meta.url, bench);
