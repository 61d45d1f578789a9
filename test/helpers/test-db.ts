import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { SQL } from 'drizzle-orm';
import pg from 'pg';
import { closeDatabase, migratePostgres, openDatabase, setDatabase, type Database } from '@/lib/db/client';

export type DatabaseKind = 'pglite' | 'postgres';

/** The databases the suites run on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const DATABASE_KINDS: DatabaseKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface ScratchPostgres {
  url: string;
  drop: () => Promise<void>;
}

/** Creates an empty, migrated PostgreSQL database next to TEST_DATABASE_URL's, dropped by `drop()`. */
export async function createScratchPostgres(): Promise<ScratchPostgres> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `chat_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migratePostgres(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * Opens a fresh database of `kind` and installs it as the process-wide one the services use.
 * Returns the handle and a teardown that closes (and for PostgreSQL drops) it.
 */
export async function useFreshDatabase(kind: DatabaseKind): Promise<{ database: Database; teardown: () => Promise<void> }> {
  if (kind === 'pglite') {
    const database = await openDatabase({ pgliteDir: 'memory://' });
    setDatabase(database);
    return { database, teardown: closeDatabase };
  }
  const scratch = await createScratchPostgres();
  const database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused', poolSize: 10 });
  setDatabase(database);
  return {
    database,
    teardown: async () => {
      await closeDatabase();
      await scratch.drop();
    },
  };
}

/** Runs raw SQL on either driver and returns its rows (both node-postgres and PGlite results carry `rows`). */
export async function queryRows<T = Record<string, unknown>>(database: Database, query: SQL): Promise<T[]> {
  const result = (await database.db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** A PostgreSQL URL on a loopback port with nothing listening: a database that is down. */
export async function unreachablePostgresUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `postgresql://postgres@127.0.0.1:${port}/postgres`;
}
