import { or, sql } from 'drizzle-orm';
import type { Db } from '@/lib/db/client';
import { rateLimits } from '@/lib/db/schema';

/** `LIKE` pattern text matching `value` literally. */
const literal = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Deletes the stored budgets that name the user (account deletion, inside its transaction):
 * rate-limiter-flexible keys rows `<bucket>:<subject>`, and the subjects that name a user are
 * their id (signed-in requests and password confirmations) and `<address> <email>` (sign-in
 * attempts). Returns how many rows went. Keys too long for the column are stored as a SHA-256
 * (index.ts `storedSubject`): they name no one and expire with their window. Kept next to the
 * limiter because the key layout is its own.
 */
export async function deleteRateLimitsOfUser(db: Pick<Db, 'delete'>, user: { userId: string; email: string }): Promise<number> {
  const endsWith = (subject: string) => sql`${rateLimits.key} LIKE ${`%:${literal(subject)}`}`;
  const deleted = await db
    .delete(rateLimits)
    .where(or(endsWith(user.userId), endsWith(user.email), sql`${rateLimits.key} LIKE ${`signin:% ${literal(user.email)}`}`))
    .returning({ key: rateLimits.key });
  return deleted.length;
}
