import { eq } from 'drizzle-orm';
import { getDb, type Db } from '@/lib/db/client';
import { calendarFeeds } from '@/lib/db/schema';

/** The one module that reads and writes `calendar_feeds` (the SHA-256 of each user's feed token). */

type Executor = Pick<Db, 'select' | 'insert' | 'update' | 'delete'>;

/** Sets the user's feed token hash, replacing (revoking) the previous one. */
export async function replaceFeedHash(userId: string, tokenHash: string): Promise<void> {
  const db = await getDb();
  await db
    .insert(calendarFeeds)
    .values({ userId, tokenHash })
    .onConflictDoUpdate({ target: calendarFeeds.userId, set: { tokenHash, createdAt: new Date() } });
}

/** The owner of the feed whose token hashes to `tokenHash`. */
export async function ownerOfFeed(tokenHash: string): Promise<string | undefined> {
  const db = await getDb();
  const [row] = await db.select({ userId: calendarFeeds.userId }).from(calendarFeeds).where(eq(calendarFeeds.tokenHash, tokenHash));
  return row?.userId;
}

/** Whether the user has a feed, and since when. */
export async function findFeed(userId: string): Promise<{ createdAt: Date } | undefined> {
  const db = await getDb();
  const [row] = await db.select({ createdAt: calendarFeeds.createdAt }).from(calendarFeeds).where(eq(calendarFeeds.userId, userId));
  return row;
}

/** Revokes the user's feed; true when there was one. */
export async function deleteFeed(userId: string, executor?: Executor): Promise<boolean> {
  const db = executor ?? (await getDb());
  const rows = await db.delete(calendarFeeds).where(eq(calendarFeeds.userId, userId)).returning({ userId: calendarFeeds.userId });
  return rows.length > 0;
}
