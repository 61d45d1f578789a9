import { sql } from 'drizzle-orm';
import { getDb } from '@/lib/db/client';

/**
 * Depth and oldest waiting job of every queue, from pg-boss's job table (one grouped query,
 * for metrics scrapes only). Waiting = created or retry: not yet taken by a worker.
 */
export async function queueStats(): Promise<Array<{ queue: string; waiting: number; oldestAgeSeconds: number }>> {
  const db = await getDb();
  // Both drivers (node-postgres, PGlite) answer `execute` with `{ rows }`; Db's type leaves it unknown.
  const result = (await db.execute(sql`
    SELECT q.name,
           count(j.id) AS waiting,
           coalesce(extract(epoch FROM now() - min(j.created_on)), 0) AS oldest
      FROM pgboss.queue q
      LEFT JOIN pgboss.job j ON j.name = q.name AND j.state IN ('created', 'retry')
     GROUP BY q.name`)) as { rows: Array<{ name: string; waiting: string | number; oldest: string | number | null }> };
  return result.rows.map((row) => ({ queue: row.name, waiting: Number(row.waiting), oldestAgeSeconds: Number(row.oldest ?? 0) }));
}

/** Whether the queue's tables answer (readiness). */
export async function queueReachable(): Promise<void> {
  const db = await getDb();
  await db.execute(sql`SELECT 1 FROM pgboss.version LIMIT 1`);
}
