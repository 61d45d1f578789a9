import { randomBytes } from 'node:crypto';
import { and, eq, gt, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '@/lib/db/client';
import { userSessions } from '@/lib/db/schema';

/**
 * The one module that reads and writes `user_sessions`: a session exists while its row does.
 * lib/auth/session-store.ts caches the reads and is what the rest of the app calls. Each function
 * takes the database handle (or a transaction), so account deletion can run it inside its own.
 */

type Executor = Pick<Db, 'select' | 'insert' | 'update' | 'delete'>;

/** A live session: whose it is and until when it holds. */
export interface ActiveSession {
  userId: string;
  expiresAt: Date;
}

/** Creates a session for the user, valid until `expiresAt`, and returns its id (192 random bits). */
export async function insertSession(db: Executor, session: { userId: string; expiresAt: Date }): Promise<string> {
  const id = randomBytes(24).toString('base64url');
  await db.insert(userSessions).values({ id, ...session });
  return id;
}

/** The session if it exists and has not expired. */
export async function selectActiveSession(db: Executor, id: string): Promise<ActiveSession | undefined> {
  const [row] = await db
    .select({ userId: userSessions.userId, expiresAt: userSessions.expiresAt })
    .from(userSessions)
    .where(and(eq(userSessions.id, id), gt(userSessions.expiresAt, sql`now()`)))
    .limit(1);
  return row;
}

/** Moves a live session's expiry to `expiresAt` (never backwards). */
export async function extendSession(db: Executor, session: { id: string; expiresAt: Date }): Promise<void> {
  await db
    .update(userSessions)
    .set({ expiresAt: session.expiresAt })
    .where(and(eq(userSessions.id, session.id), lt(userSessions.expiresAt, session.expiresAt)));
}

/** Ends one session; returns whose it was, undefined when it did not exist. */
export async function deleteSession(db: Executor, id: string): Promise<string | undefined> {
  const [deleted] = await db.delete(userSessions).where(eq(userSessions.id, id)).returning({ userId: userSessions.userId });
  return deleted?.userId;
}

/** Ends every session of the user except `keep` (if given); returns how many ended. */
export async function deleteSessionsOfUser(db: Executor, user: { userId: string; keep?: string }): Promise<number> {
  const deleted = await db
    .delete(userSessions)
    .where(and(eq(userSessions.userId, user.userId), user.keep ? ne(userSessions.id, user.keep) : undefined))
    .returning({ id: userSessions.id });
  return deleted.length;
}

/** Drops the user's expired session rows (run at sign-in, so rows do not pile up). */
export async function deleteExpiredSessionsOfUser(db: Executor, userId: string): Promise<void> {
  await db.delete(userSessions).where(and(eq(userSessions.userId, userId), lt(userSessions.expiresAt, sql`now()`)));
}
