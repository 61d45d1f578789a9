import { eq, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/lib/db/client';
import { calendarConnections, type CalendarConnectionRow } from '@/lib/db/schema';

/** The one module that reads and writes `calendar_connections` (a user's CalDAV calendar). */

type Executor = Pick<Db, 'select' | 'insert' | 'update' | 'delete'>;

export type ConnectionStatus = 'connected' | 'unreachable' | 'unauthorized';

export async function findConnection(userId: string, executor?: Executor): Promise<CalendarConnectionRow | undefined> {
  const db = executor ?? (await getDb());
  const [row] = await db.select().from(calendarConnections).where(eq(calendarConnections.userId, userId));
  return row;
}

/** Creates or replaces the user's connection. */
export async function saveConnection(row: {
  userId: string;
  url: string;
  username: string;
  sealedPassword: string;
  calendarUrl: string;
}): Promise<CalendarConnectionRow> {
  const db = await getDb();
  const values = { ...row, status: 'connected', checkedAt: new Date() };
  const [saved] = await db
    .insert(calendarConnections)
    .values(values)
    .onConflictDoUpdate({ target: calendarConnections.userId, set: { ...values, createdAt: sql`now()` } })
    .returning();
  return saved!;
}

/** Records what the last use of the connection found. */
export async function setStatus(userId: string, status: ConnectionStatus): Promise<void> {
  const db = await getDb();
  await db.update(calendarConnections).set({ status, checkedAt: new Date() }).where(eq(calendarConnections.userId, userId));
}

/** Removes the user's connection; true when there was one. */
export async function deleteConnection(userId: string, executor?: Executor): Promise<boolean> {
  const db = executor ?? (await getDb());
  const rows = await db
    .delete(calendarConnections)
    .where(eq(calendarConnections.userId, userId))
    .returning({ userId: calendarConnections.userId });
  return rows.length > 0;
}
