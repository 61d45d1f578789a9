import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, type ScratchPostgres } from '@test/helpers/test-db';
import { LocalFirstLimiter, postgresBudgetStore } from './local-first';

// The local-first request budgets (signed-in users' ordinary requests) against real PostgreSQL:
// two limiters with their own pools stand for two app instances sharing one database.
const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!hasPostgres)('local-first rate limiting on PostgreSQL', () => {
  let scratch: ScratchPostgres;
  const pools: pg.Pool[] = [];

  beforeAll(async () => {
    scratch = await createScratchPostgres();
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await scratch?.drop();
  });

  function instance(points: number, syncHits: number, url = scratch.url, syncMs = 20): LocalFirstLimiter {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => {});
    pools.push(pool);
    return new LocalFirstLimiter({ store: postgresBudgetStore(pool), points, durationMs: 600_000, syncHits, syncMs });
  }

  async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  async function storedPoints(key: string): Promise<number> {
    const [row] = await query<{ points: number }>('SELECT points FROM rate_limits WHERE key = $1', [key]);
    return row?.points ?? 0;
  }

  /** A user row (budgets are kept for existing users only); returns its id. */
  async function user(id: string): Promise<string> {
    await query(`INSERT INTO users (id, email, "passwordHash") VALUES ($1, $2, 'x') ON CONFLICT DO NOTHING`, [id, `${id}@example.com`]);
    return id;
  }

  it('one instance admits exactly the budget and stores every admitted hit', async () => {
    const limiter = instance(50, 8);
    const solo = await user('solo');
    const verdicts = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('read:solo', solo)));
    expect(verdicts.filter((v) => v.ok)).toHaveLength(50);
    const refused = verdicts.find((v) => !v.ok);
    expect(refused && !refused.ok && refused.msBeforeNext).toBeGreaterThan(0);
    await limiter.close();
    expect(await storedPoints('read:solo')).toBe(50);
  });

  it('two instances on one database admit at least the budget and at most budget + 2 x syncHits - 1, however the hits interleave', async () => {
    const POINTS = 60;
    const SYNC_HITS = 8;
    for (let trial = 0; trial < 5; trial++) {
      const subject = await user(`pair-${trial}`);
      const key = `read:${subject}`;
      const [a, b] = [instance(POINTS, SYNC_HITS), instance(POINTS, SYNC_HITS)];
      let admitted = 0;
      // Waves of concurrent hits on both instances, uneven so each trial interleaves differently.
      for (let wave = 0; wave < 12; wave++) {
        const hits = [
          ...Array.from({ length: 3 + ((wave * (trial + 1)) % 11) }, () => a.consume(key, subject)),
          ...Array.from({ length: 2 + ((wave * (trial + 3)) % 13) }, () => b.consume(key, subject)),
        ];
        admitted += (await Promise.all(hits)).filter((v) => v.ok).length;
      }
      await Promise.all([a.close(), b.close()]);
      expect(admitted).toBeGreaterThanOrEqual(POINTS);
      expect(admitted).toBeLessThanOrEqual(POINTS + 2 * SYNC_HITS - 1);
      // The shared row counted every hit either instance admitted.
      expect(await storedPoints(key)).toBeGreaterThanOrEqual(admitted);
    }
  });

  it('a budget spent on one instance is refused on another after at most syncHits hits', async () => {
    const subject = await user('shared');
    const key = `read:${subject}`;
    const first = instance(20, 6);
    for (let i = 0; i < 20; i++) expect((await first.consume(key, subject)).ok).toBe(true);
    expect((await first.consume(key, subject)).ok).toBe(false);
    await first.close();
    const second = instance(20, 6);
    const verdicts = [];
    for (let i = 0; i < 30; i++) verdicts.push((await second.consume(key, subject)).ok);
    const admitted = verdicts.filter(Boolean).length;
    expect(admitted).toBeLessThanOrEqual(6);
    // Once it has heard from the database, it refuses every later hit.
    expect(verdicts.slice(verdicts.lastIndexOf(true) + 1).length).toBeGreaterThan(0);
    expect(verdicts.slice(verdicts.indexOf(false)).every((ok) => !ok)).toBe(true);
    await second.close();
  });

  it("never stores a budget for a user who no longer exists, so a late sync cannot bring back a deleted account's row", async () => {
    const gone = await user('gone');
    // Syncs only when closed: the hits below are still pending when the account goes.
    const limiter = instance(100, 50, scratch.url, 600_000);
    for (let i = 0; i < 5; i++) expect((await limiter.consume(`read:${gone}`, gone)).ok).toBe(true);
    // The account goes (as account deletion does: user row locked, budgets deleted, user deleted)
    // while those hits are still pending here.
    await query(`DELETE FROM rate_limits WHERE key LIKE '%:gone'`);
    await query(`DELETE FROM users WHERE id = 'gone'`);
    await limiter.close();
    expect(await query(`SELECT key FROM rate_limits WHERE key LIKE '%:gone'`)).toEqual([]);
    // Other users' hits in the same sync are stored as usual.
    const kept = await user('kept');
    expect((await limiter.consume(`read:${kept}`, kept)).ok).toBe(true);
    await limiter.close();
    expect(await storedPoints(`read:${kept}`)).toBe(1);
  });

  it('keeps counting locally, without waiting, when the database cannot be reached', async () => {
    // A port nothing listens on: every sync fails at once.
    const down = instance(15, 4, 'postgresql://postgres@127.0.0.1:1/none');
    const verdicts = [];
    for (let i = 0; i < 40; i++) verdicts.push((await down.consume('read:down', 'down')).ok);
    expect(verdicts.filter(Boolean)).toHaveLength(15);
    expect(verdicts.slice(15).every((ok) => !ok)).toBe(true);
  });
});
