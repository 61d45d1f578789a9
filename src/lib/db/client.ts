import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { getEnv } from '@/lib/config/env';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';
import { acquirePgliteLock } from './pglite-lock';
import * as schema from './schema';

export type Schema = typeof schema;
/** The Drizzle database, whichever driver is behind it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** An open database: the Drizzle handle plus the driver objects that realtime code needs. */
export type Database =
  | { kind: 'postgres'; db: Db; pool: pg.Pool; close: () => Promise<void> }
  | { kind: 'pglite'; db: Db; pglite: PGlite; close: () => Promise<void> };

export interface DatabaseConfig {
  /** PostgreSQL URL; when absent the embedded PGlite at `pgliteDir` is used. */
  databaseUrl?: string;
  pgliteDir: string;
  poolSize?: number;
}

const MIGRATIONS_DIR = path.join(process.cwd(), 'drizzle');

/** Opens a node-postgres pool. Schema changes are applied by `npm run db:migrate`. */
function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Fail fast while the server is unreachable instead of queueing callers forever.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client dies when PostgreSQL restarts; without a listener that error kills the process.
  pool.on('error', (err) => getLogger().warn({ err: err.message }, 'idle PostgreSQL client error'));
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  return { kind: 'postgres', db, pool, close: () => pool.end() };
}

/** Opens (and migrates) the embedded PGlite database, holding its single-process lock. */
async function openPglite(dir: string): Promise<Database> {
  const inMemory = dir.startsWith('memory://');
  const release = inMemory ? () => {} : acquirePgliteLock(dir);
  try {
    if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
    const pglite = await PGlite.create(inMemory ? dir : path.resolve(dir));
    const db = drizzlePglite({ client: pglite, schema }) as unknown as Db;
    await migratePglite(db as Parameters<typeof migratePglite>[0], { migrationsFolder: MIGRATIONS_DIR });
    return {
      kind: 'pglite',
      db,
      pglite,
      close: async () => {
        await pglite.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** The one client factory: `databaseUrl` -> node-postgres Pool, otherwise embedded PGlite. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.poolSize ?? 10);
  return openPglite(config.pgliteDir);
}

/** Applies the SQL migrations in `drizzle/` to a PostgreSQL database, one process at a time. */
export async function migratePostgres(url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const client = await pool.connect();
  try {
    // Several instances may start together; the advisory lock makes them migrate in turn.
    await client.query('SELECT pg_advisory_lock(727274)');
    await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_DIR });
    await client.query('SELECT pg_advisory_unlock(727274)');
  } finally {
    client.release();
    await pool.end();
  }
}

/**
 * Process-wide because Next.js may load this module more than once (instrumentation and route
 * bundles), and a second PGlite on the same directory would corrupt it.
 */
const processDatabase = processGlobal<Promise<Database>>('database');

/** The process-wide database, opened from the environment on first use. */
export function getDatabase(): Promise<Database> {
  let current = processDatabase.get();
  if (!current) {
    const env = getEnv();
    const opening = openDatabase({
      databaseUrl: env.DATABASE_URL,
      pgliteDir: env.PGLITE_DIR,
      poolSize: env.DATABASE_POOL_SIZE,
    });
    // A failed open is not cached, so the next call tries again (e.g. after the lock holder exits).
    opening.catch(() => {
      if (processDatabase.get() === opening) processDatabase.set(undefined);
    });
    processDatabase.set(opening);
    current = opening;
  }
  return current;
}

/** The Drizzle handle of the process-wide database. */
export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}

/** Installs an already-open database as the process-wide one (tests, CLIs). */
export function setDatabase(database: Database): void {
  processDatabase.set(Promise.resolve(database));
}

/** Closes the process-wide database, if one was opened. */
export async function closeDatabase(): Promise<void> {
  const current = processDatabase.get();
  processDatabase.set(undefined);
  if (current) await (await current).close();
}
