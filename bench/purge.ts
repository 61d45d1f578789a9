// Retention purge: rows/s of retentionService.purgeExpiredMessages (bounded, index-backed batches
// through the repository) vs a raw batched `DELETE ... WHERE id IN (SELECT ... LIMIT n)`, each on
// an identical copy of BENCH_PURGE_ROWS messages (default 1,000,000, half of them expired) while
// BENCH_PURGE_SENDERS senders keep sending. Run: npm run bench -- purge
import { newId as createId } from '@/lib/db/ids';
import pg from 'pg';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import * as chatResponseService from '@/lib/services/chat-response.service';
import * as retentionService from '@/lib/services/retention.service';
import { adminUrl, log, runIfMain, scratchDatabase, table, type Section } from './lib/common';
import { fmt, ratio, summarize } from './lib/stats';

process.env.LOG_LEVEL = 'silent';
// Every type is kept 30 days; half of the seeded rows are 60 days old.
process.env.CHAT_RETENTION = 'default=30d';
const BATCH = Number(process.env.BENCH_PURGE_BATCH ?? 1_000);
process.env.CHAT_RETENTION_BATCH_SIZE = String(BATCH);
resetEnvCache();

const ROWS = Number(process.env.BENCH_PURGE_ROWS ?? 1_000_000);
const USERS = 10_000;
const SENDERS = Number(process.env.BENCH_PURGE_SENDERS ?? 8);
const POOL_SIZE = 10;

// The naive batch: by age alone (no index serves "createdAt" on its own, so each batch scans).
const RAW_BATCH = `DELETE FROM chat_messages WHERE id IN (
  SELECT id FROM chat_messages WHERE "createdAt" < $1 ORDER BY "createdAt" LIMIT ${BATCH})`;
// The same statement the repository builds, run raw with pg per type: what our layers cost.
const RAW_TYPED_BATCH = `DELETE FROM chat_messages WHERE id IN (
  SELECT id FROM chat_messages WHERE type = $1 AND "createdAt" < $2 ORDER BY "createdAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`;
const TYPES = ['SCHEDULING_UPDATE', 'CONFIRMATION', 'CLARIFICATION', 'CANCELLATION', 'ERROR', 'INFO'];

/** Seeds the template: ROWS messages over USERS users, every other one 60 days old, types in turn. */
async function seedTemplate(url: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO chat_messages (id, "userId", "taskId", type, content, data, read, "createdAt", position, priority)
       SELECT 'm' || i, 'user_' || (i % ${USERS}), 'task_' || (i % 50000),
              (enum_range(NULL::"ChatMessageType"))[1 + i % 6], 'Checking availability for a meeting on Wednesday at 3pm',
              '{"step":"availability"}'::jsonb, i % 3 = 0,
              CASE WHEN i % 2 = 0 THEN now() - interval '60 days' + (i || ' ms')::interval ELSE now() - (i || ' ms')::interval END,
              1 + i / ${USERS}, 'NORMAL'
       FROM generate_series(0, ${ROWS - 1}) i`,
    );
    await db.query(
      `INSERT INTO chat_user_cursors ("userId", "lastPosition")
       SELECT 'user_' || u, ${Math.ceil(ROWS / USERS) + 1} FROM generate_series(0, ${USERS - 1}) u`,
    );
    await db.query('VACUUM ANALYZE chat_messages');
  } finally {
    await db.end();
  }
}

async function copyOf(template: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

interface RunResult {
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  sends: number;
  sendErrors: number;
  sendP50: number;
  sendP99: number;
  left: number;
}

/** Runs `purge` while SENDERS senders send through the service until it ends. */
async function measure(url: string, purge: () => Promise<number>): Promise<RunResult> {
  const database = await openDatabase({ databaseUrl: url, pgliteDir: 'unused', poolSize: POOL_SIZE });
  setDatabase(database);
  let done = false;
  const latencies: number[] = [];
  let errors = 0;
  const senders = Array.from({ length: SENDERS }, async (_, worker) => {
    for (let i = 0; !done; i++) {
      const t0 = performance.now();
      const r = await chatResponseService.sendSchedulingUpdate(
        `task_${worker}`,
        `user_${(worker * 7919 + i * 31) % USERS}`,
        'Checking availability...',
      );
      if (r.success) latencies.push(performance.now() - t0);
      else errors++;
    }
  });
  const t0 = performance.now();
  const deleted = await purge();
  const seconds = (performance.now() - t0) / 1000;
  done = true;
  await Promise.all(senders);
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  const left = Number(
    (await check.query(`SELECT count(*)::int AS n FROM chat_messages WHERE "createdAt" < now() - interval '30 days'`)).rows[0].n,
  );
  await check.end();
  await closeDatabase();
  const s = summarize(latencies);
  return {
    deleted,
    seconds,
    rowsPerSecond: deleted / seconds,
    sends: latencies.length,
    sendErrors: errors,
    sendP50: s.p50,
    sendP99: s.p99,
    left,
  };
}

export async function bench(): Promise<Section> {
  const started = Date.now();
  const template = await scratchDatabase('purge_tpl');
  log(`seeding ${ROWS.toLocaleString('en-US')} messages (half expired)`);
  await seedTemplate(template.url);
  const results: Record<'service' | 'raw' | 'rawTyped', RunResult> = {} as never;
  const labels = { raw: 'raw batched DELETE by age', rawTyped: 'raw batched DELETE per type', service: 'purgeExpiredMessages' };
  try {
    for (const kind of ['raw', 'rawTyped', 'service'] as const) {
      const copy = await copyOf(template.name, `bench_purge_${kind}_${createId().slice(0, 6)}`);
      try {
        log(`purging with ${labels[kind]} and ${SENDERS} concurrent senders`);
        results[kind] = await measure(copy.url, async () => {
          if (kind === 'service') return (await retentionService.purgeExpiredMessages()).deleted;
          const raw = new pg.Client({ connectionString: copy.url });
          await raw.connect();
          const cutoff = new Date(Date.now() - 30 * 86_400_000);
          let total = 0;
          for (const type of kind === 'raw' ? [null] : TYPES) {
            for (;;) {
              const n = (await (type === null ? raw.query(RAW_BATCH, [cutoff]) : raw.query(RAW_TYPED_BATCH, [type, cutoff]))).rowCount ?? 0;
              total += n;
              if (n < BATCH) break;
            }
          }
          await raw.end();
          return total;
        });
        log(`${kind}: ${fmt(results[kind].rowsPerSecond)} rows/s`);
      } finally {
        await copy.drop();
      }
    }
  } finally {
    await template.drop();
  }
  const r = ratio(results.service.rowsPerSecond, results.raw.rowsPerSecond);
  const rTyped = ratio(results.service.rowsPerSecond, results.rawTyped.rowsPerSecond);
  const row = (label: string, x: RunResult) => [
    label,
    fmt(x.deleted),
    fmt(x.seconds),
    fmt(x.rowsPerSecond),
    fmt(x.sends),
    x.sendErrors,
    fmt(x.sendP50),
    fmt(x.sendP99),
    x.left,
  ];
  const markdown = [
    `${ROWS.toLocaleString('en-US')} messages over ${USERS.toLocaleString('en-US')} users, every other one 60 days old, \`CHAT_RETENTION=default=30d\`, batches of ${BATCH}; ${SENDERS} senders call \`sendSchedulingUpdate\` back to back while each purge runs. Each purge runs on its own copy of the same seeded database.`,
    '',
    table(
      ['purge', 'deleted', 's', 'rows/s', 'sends during it', 'send errors', 'send p50 ms', 'send p99 ms', 'expired left'],
      [
        row('raw `DELETE ... WHERE id IN (SELECT ... WHERE createdAt < $1 LIMIT n)` (baseline)', results.raw),
        row("raw, the service's statement per type (`type = $1 AND createdAt < $2`)", results.rawTyped),
        row('`purgeExpiredMessages` (6 types, `(type, createdAt)` index)', results.service),
      ],
    ),
    '',
    `Purge rate vs the raw batch by age: **${fmt(r)}x**; vs the service's own statement run raw (the cost of our layers): **${fmt(rTyped)}x**.`,
  ].join('\n');
  return {
    name: 'purge',
    title: '6. Retention purge',
    command: 'npm run bench -- purge',
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    markdown,
    targets: [
      { name: 'purge rows/s vs raw batched DELETE by age', measured: `${fmt(r)}x`, target: 'reported', met: true },
      { name: 'purge rows/s vs the same statement raw', measured: `${fmt(rTyped)}x`, target: 'reported', met: true },
    ],
    raw: { rows: ROWS, batch: BATCH, senders: SENDERS, results },
  };
}

runIfMain(import.meta.url, bench);
