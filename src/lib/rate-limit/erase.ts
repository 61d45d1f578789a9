import { or, sql } from 'drizzle-orm';
import type { Db } from '@/lib/db/client';
import { rateLimits } from '@/lib/db/schema';

/** `LIKE` pattern text matching `value` literally. */
const literal = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Deletes the stored budgets that name the user (account deletion, inside its transaction):
 * rate-limiter-flexible keys rows `<bucket>:<subject>`, and the subjects that name a user are
 * their id (signed-in requests) and their email (sign-in attempts). Returns how many rows went.
 * Kept next to the limiter because the key layout is its own (index.ts).
 */
export async function deleteRateLimitsOfUser(db: Pick<Db, 'delete'>, user: { userId: string; email: string }): Promise<number> {
  const endsWith = (subject: string) => sql`${rateLimits.key} LIKE ${`%:${literal(subject)}`}`;
  const deleted = await db
    .delete(rateLimits)
    .where(or(endsWith(user.userId), endsWith(user.email)))
    .returning({ key: rateLimits.key });
  return deleted.length;
}
