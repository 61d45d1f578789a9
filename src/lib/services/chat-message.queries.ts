import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '@/lib/db/client';
import { chatMessages, type ChatMessageRow } from '@/lib/db/schema';

/**
 * Raw cursor reads shared by the service and the real-time fan-out. They live apart from
 * chat-response.service.ts because the service imports the publish step, and the fan-out
 * (part of that publish step) needs these reads: keeping them here avoids an import cycle.
 * Callers validate their arguments; these functions trust them.
 */

/**
 * The user's messages with `position > afterPosition`, in position order, at most `limit`.
 * Served by the unique `(userId, position)` index: an index range scan, no sort.
 * Positions of one user commit in increasing order, so the result is always every committed
 * message in `(afterPosition, last returned]`: a reader advancing its cursor this way skips nothing.
 */
export function selectMessagesAfter(db: Db, userId: string, afterPosition: number, limit: number): Promise<ChatMessageRow[]> {
  return db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.userId, userId), gt(chatMessages.position, afterPosition)))
    .orderBy(asc(chatMessages.position))
    .limit(limit);
}
