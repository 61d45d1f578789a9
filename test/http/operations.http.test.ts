import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startApp, type AppServer } from '@test/helpers/app-server';
import { Browser } from '@test/helpers/http-client';
import { openSse, type SseConnection } from '@test/helpers/sse-client';
import { waitFor } from '@test/helpers/wait';

// What an operator watches, over real HTTP: GET /api/health (liveness and readiness, no session)
// and the Prometheus metrics on METRICS_PORT and on /api/metrics behind METRICS_TOKEN, whose
// counters move as the app stores, publishes and refuses.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

const PASSWORD = 'a long enough password';
const TOKEN = 'metrics-token-0123456789';

/** One sample's value from Prometheus text: `name{labels} value`, 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe.skipIf(!hasPostgres)('health and metrics (PostgreSQL, worker in process)', () => {
  let app: AppServer;
  let metricsPort: number;
  const open: SseConnection[] = [];

  beforeAll(async () => {
    metricsPort = await freePort();
    app = await startApp({
      kind: 'postgres',
      env: {
        METRICS_PORT: String(metricsPort),
        METRICS_TOKEN: TOKEN,
        RUN_WORKER_IN_PROCESS: 'true',
        // The metrics route's per-address budget: small, so the refusal test is short.
        AUTH_RATE_LIMIT_POINTS: '4',
        RATE_LIMIT_WINDOW_SECONDS: '600',
      },
    });
    const created = await runCli(app.env, 'user-create.ts', ['--email', 'ops@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(0);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await app?.dispose();
  });

  const scrape = async (token: string | null = TOKEN) => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  it('answers liveness and readiness without a session, naming each component ok and nothing more', async () => {
    const live = await fetch(`${app.baseUrl}/api/health?probe=live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${app.baseUrl}/api/health`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', queue: 'ok', fanout: 'ok' } });
    const bad = await fetch(`${app.baseUrl}/api/health?probe=everything`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_input' } });
    // A load balancer probing in a loop is never refused (no budget on this route).
    const many = await Promise.all(Array.from({ length: 30 }, () => fetch(`${app.baseUrl}/api/health`).then((r) => r.status)));
    expect(new Set(many)).toEqual(new Set([200]));
  });

  it('serves Prometheus metrics on METRICS_PORT only with the token, and only GET /metrics', async () => {
    const ok = await scrape();
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain/);
    for (const name of [
      'chat_messages_stored_total',
      'chat_messages_published_total',
      'chat_publish_failures_total',
      'chat_sse_streams_open',
      'chat_fanout_delay_seconds',
      'chat_queue_depth',
      'chat_queue_oldest_job_age_seconds',
      'chat_rate_limit_refusals_total',
      'process_resident_memory_bytes',
    ]) {
      expect(ok.text, name).toContain(`# TYPE ${name} `);
    }
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('wrong-token-0123456789')).status).toBe(401);
    const other = await fetch(`http://127.0.0.1:${metricsPort}/other`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('counts messages stored and written to streams, open streams and the fan-out delay as the agent answers', async () => {
    const before = (await scrape()).text;
    const browser = new Browser(app.baseUrl);
    expect(await browser.signIn('ops@example.com', PASSWORD)).toBe(true);
    const stream = await openSse(browser, '/api/chat-messages/stream');
    open.push(stream);
    expect(stream.status).toBe(200);
    await waitFor(
      async () => (sample((await scrape()).text, 'chat_sse_streams_open') === 1 ? true : undefined),
      'the stream to be counted',
    );
    const submitted = await browser.json('/api/scheduling-agent/tasks', { json: { request: 'book 30 min with Dana tomorrow at 3pm' } });
    expect(submitted.status).toBe(202);
    // The agent's answers: at least its first message stored and written to the open stream.
    const after = await waitFor(async () => {
      const text = (await scrape()).text;
      return sample(text, 'chat_messages_published_total', '{transport="sse"}') >=
        sample(before, 'chat_messages_published_total', '{transport="sse"}') + 1
        ? text
        : undefined;
    }, 'a message written to the stream');
    expect(sample(after, 'chat_messages_stored_total')).toBeGreaterThan(sample(before, 'chat_messages_stored_total'));
    expect(sample(after, 'chat_fanout_delay_seconds_count')).toBeGreaterThan(sample(before, 'chat_fanout_delay_seconds_count'));
    expect(after).toMatch(/^chat_queue_depth\{queue="scheduling-agent"\} \d+$/m);
    // No user, message or key in any label.
    expect(after).not.toContain('ops@example.com');
    await stream.close();
    await waitFor(
      async () => (sample((await scrape()).text, 'chat_sse_streams_open') === 0 ? true : undefined),
      'the stream to be uncounted',
    );
  });

  it('serves the same metrics on /api/metrics with the bearer token, and counts its refusals once its budget is spent', async () => {
    const ok = await fetch(`${app.baseUrl}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('# TYPE chat_messages_stored_total counter');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${app.baseUrl}/api/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
      statuses.push(res.status);
      if (res.status === 401) expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
      else await res.body?.cancel();
    }
    // 4 points per address: the good scrape and three bad ones, then 429.
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(sample((await scrape()).text, 'chat_rate_limit_refusals_total', '{bucket="metrics"}')).toBe(1);
  });
});

describe.skipIf(!hasPostgres)('metrics without METRICS_TOKEN (PostgreSQL)', () => {
  let app: AppServer;

  beforeAll(async () => {
    app = await startApp({ kind: 'postgres' });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('answers /api/metrics with a JSON 404, with or without a bearer token, and shows no metric', async () => {
    const variants: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}` }, { authorization: 'Bearer ' }];
    for (const headers of variants) {
      const res = await fetch(`${app.baseUrl}/api/metrics`, { headers });
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'not_found', message: 'Not found' } });
      expect(text).not.toContain('chat_');
    }
    expect((await fetch(`${app.baseUrl}/api/health`)).status).toBe(200);
  });
});
