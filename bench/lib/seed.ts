import pg from 'pg';
import { migratePostgres } from '@/lib/db/client';
import { hashPassword } from '@/lib/auth/password';
import { adminUrl, log } from './common';

/**
 * The read-path data set: 1,000,000 messages over 10,000 users (100 each, the newest 20
 * unread), written server-side with INSERT ... SELECT generate_series (not through the
 * service), in time order so one user's rows are spread over the table as real traffic leaves
 * them. Positions 1..100 per user and `chat_user_cursors.lastPosition = 100` agree. Kept on the
 * benchmark server under a fixed name and reused by later benchmarks of the same run.
 */
export const SEED = { users: 10_000, perUser: 100, unreadPerUser: 20, password: 'bench password 1234' } as const;
const SEED_DB = 'bench_seed_1m_v1';

export const seededUserId = (u: number) => `user_${String(u).padStart(5, '0')}`;

export interface SeededDatabase {
  url: string;
  /** Seconds the seeding took in this process (0 when an earlier benchmark of the run seeded it). */
  seedSeconds: number;
  rows: number;
}

export async function seededDatabase(): Promise<SeededDatabase> {
  const url = new URL(adminUrl());
  url.pathname = `/${SEED_DB}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [SEED_DB])).rowCount === 1;
    if (exists) {
      const db = new pg.Client({ connectionString: url.toString() });
      await db.connect();
      const done = await db.query("SELECT rows FROM bench_seed_marker WHERE name = 'done'").then(
        (r) => r.rows[0] as { rows: number } | undefined,
        () => undefined,
      );
      await db.end();
      if (done) return { url: url.toString(), seedSeconds: 0, rows: Number(done.rows) };
      await admin.query(`DROP DATABASE "${SEED_DB}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${SEED_DB}"`);
  } finally {
    await admin.end();
  }
  await migratePostgres(url.toString());
  const started = Date.now();
  const passwordHash = await hashPassword(SEED.password);
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  try {
    const lastUser = SEED.users - 1;
    log(`seeding ${SEED.users * SEED.perUser} messages over ${SEED.users} users`);
    await db.query(
      `INSERT INTO users (id, email, name, "passwordHash", "timeZone")
       SELECT 'user_' || lpad(u::text, 5, '0'), 'user' || u || '@bench.invalid', 'User ' || u, $1, 'UTC'
       FROM generate_series(0, ${lastUser}) u`,
      [passwordHash],
    );
    await db.query(
      `INSERT INTO chat_messages (id, "userId", "taskId", type, content, data, read, "createdAt", "readAt", position)
       SELECT substr(md5(u || ':' || p), 1, 24),
              'user_' || lpad(u::text, 5, '0'),
              'task_' || u || '_' || ((p - 1) / 5),
              (ARRAY['SCHEDULING_UPDATE','CONFIRMATION','CLARIFICATION','CANCELLATION','ERROR','INFO']::"ChatMessageType"[])[1 + p % 6],
              'Meeting scheduled: Meeting with Dana, Wed, Nov 25, 3:00 PM (message ' || p || ' of user ' || u || ')',
              jsonb_build_object('eventId', 'evt_' || u || '_' || p, 'step', p),
              p <= ${SEED.perUser - SEED.unreadPerUser},
              now() - make_interval(mins => ${SEED.perUser} - p, secs => u / 1000.0),
              CASE WHEN p <= ${SEED.perUser - SEED.unreadPerUser} THEN now() - make_interval(mins => ${SEED.perUser} - p) END,
              p
       FROM generate_series(1, ${SEED.perUser}) p, generate_series(0, ${lastUser}) u
       ORDER BY p, u`,
    );
    await db.query(
      `INSERT INTO chat_user_cursors ("userId", "lastPosition")
       SELECT 'user_' || lpad(u::text, 5, '0'), ${SEED.perUser} FROM generate_series(0, ${lastUser}) u`,
    );
    await db.query('VACUUM ANALYZE chat_messages, chat_user_cursors, users');
    const rows = Number((await db.query('SELECT count(*) AS n FROM chat_messages')).rows[0].n);
    await db.query('CREATE TABLE bench_seed_marker (name text PRIMARY KEY, rows bigint)');
    await db.query("INSERT INTO bench_seed_marker VALUES ('done', $1)", [rows]);
    const seedSeconds = (Date.now() - started) / 1000;
    log(`seeded ${rows} rows in ${seedSeconds.toFixed(1)} s`);
    return { url: url.toString(), seedSeconds, rows };
  } finally {
    await db.end();
  }
}
