import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from 'next-auth/jwt';
import pg from 'pg';
import { migratePostgres } from '@/lib/db/client';

/** Where the benchmark scripts live and write their raw results. */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT = path.dirname(BENCH_DIR);
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

/** One target of the issue, as measured. */
export interface Target {
  name: string;
  /** The measured figure as shown (e.g. "0.93x"). */
  measured: string;
  /** The target as written in the issue (e.g. ">= 0.9x"). */
  target: string;
  met: boolean;
}

/** A small bar chart of a section's headline figures (bench/lib/svg.ts draws it; bench/run.ts writes it to bench/charts/). */
export interface Chart {
  /** File name without extension, under bench/charts/. */
  file: string;
  title: string;
  unit: string;
  groups: Array<{ label: string; bars: Array<{ label: string; value: number }> }>;
}

/** What each benchmark hands to bench/run.ts: its markdown section, its targets, its raw numbers. */
export interface Section {
  name: string;
  title: string;
  command: string;
  startedAt: string;
  durationSeconds: number;
  markdown: string;
  targets: Target[];
  charts?: Chart[];
  raw: unknown;
}

/** The admin URL of the PostgreSQL server the benchmarks create their scratch databases on. */
export function adminUrl(): string {
  const url = process.env.BENCH_PG_URL;
  if (!url) throw new Error('BENCH_PG_URL is not set: run the benchmarks through `npm run bench` (bench/run.ts)');
  return url;
}

/** A fresh, migrated database on the benchmark server; `drop()` removes it. */
export async function scratchDatabase(prefix: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `bench_${prefix}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  await migratePostgres(url.toString());
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The secret the benchmark's app instances sign sessions with. */
export const BENCH_AUTH_SECRET = 'bench-secret-0123456789abcdef0123456789';

/** One small pool per database the benchmarks mint sessions in. */
const sessionPools = new Map<string, pg.Pool>();

/**
 * A `next-auth.session-token` cookie value for `userId`, exactly as NextAuth's JWT session
 * strategy issues it (A256GCM-encrypted JWT with `sub` and the server-side session id `sid`).
 * Sessions end on the server, so the user and a session row are stored in `databaseUrl` (the
 * user only if missing). Signing thousands of simulated users in through the password hash
 * (argon2id) would take minutes on this machine; bench/read.ts checks once that a real sign-in and
 * a minted token are accepted alike.
 */
export async function mintSessionToken(userId: string, databaseUrl: string, secret = BENCH_AUTH_SECRET): Promise<string> {
  let pool = sessionPools.get(databaseUrl);
  if (!pool) {
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2, allowExitOnIdle: true });
    pool.on('error', () => {});
    sessionPools.set(databaseUrl, pool);
  }
  const maxAge = 24 * 3600;
  const email = `${userId}@bench.invalid`;
  await pool.query(`INSERT INTO users (id, email, "passwordHash") VALUES ($1, $2, '!') ON CONFLICT DO NOTHING`, [userId, email]);
  const sid = randomBytes(24).toString('base64url');
  await pool.query(`INSERT INTO user_sessions (id, "userId", "expiresAt") VALUES ($1, $2, now() + make_interval(secs => $3))`, [
    sid,
    userId,
    maxAge,
  ]);
  return encode({ token: { sub: userId, sid, email, name: userId }, secret, maxAge });
}

/** Writes a section's JSON for bench/run.ts. */
export function writeSection(section: Section): void {
  const out = process.env.BENCH_OUT ?? path.join(RESULTS_DIR, `${section.name}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(section, null, 2));
}

/** Runs a benchmark's main when its file is the entry point (`node --import tsx bench/x.ts`). */
export function runIfMain(moduleUrl: string, main: () => Promise<Section>): void {
  if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl)) {
    main()
      .then((section) => {
        writeSection(section);
        process.exit(0);
      })
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  }
}

/** Progress lines on stderr (stdout stays free). */
export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Markdown table from a header row and rows. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
