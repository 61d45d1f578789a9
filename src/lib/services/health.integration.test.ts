import { afterEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, setDatabase } from '@/lib/db/client';
import { stopBoss } from '@/lib/jobs/queue';
import { unreachablePostgresUrl } from '@test/helpers/test-db';
import { readiness, resetReadiness } from './health.service';

// Readiness against real databases: embedded PGlite (everything answers) and a PostgreSQL
// address with nothing listening (the database and the queue fail; the answer says only that).
describe('readiness', () => {
  afterEach(async () => {
    await stopBoss(1_000);
    await closeDatabase();
  });

  it('is ok on a working database, with the queue started and the fan-out idle', async () => {
    setDatabase(await openDatabase({ pgliteDir: 'memory://' }));
    expect(await readiness()).toEqual({ status: 'ok', checks: { database: 'ok', queue: 'ok', fanout: 'ok' } });
  });

  it('fails the database and the queue when PostgreSQL is down, and says nothing about why', async () => {
    resetReadiness();
    setDatabase(await openDatabase({ databaseUrl: await unreachablePostgresUrl(), pgliteDir: 'unused' }));
    const health = await readiness();
    expect(health).toEqual({ status: 'fail', checks: { database: 'fail', queue: 'fail', fanout: 'ok' } });
  });
});
