import { desc, eq } from 'drizzle-orm';
import { getDb } from '@/lib/db/client';
import { chatMessages } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import type { ChatMessage } from './chat-response.service';

export const MAX_HISTORY_PAGE = 200;

/**
 * The user's latest `limit` messages, read or not, oldest first: what a chat window shows when
 * it opens. Reads the `(userId, position)` index backwards.
 */
export async function getRecentMessages(userId: string, limit: number): Promise<ChatMessage[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_PAGE) {
    throw new AppError('invalid_input', `limit: must be an integer from 1 to ${MAX_HISTORY_PAGE}`);
  }
  const db = await getDb();
  const rows = await db
    .select()
    .from(chatMessages)
    .where(eq(chatMessages.userId, userId))
    .orderBy(desc(chatMessages.position))
    .limit(limit);
  return rows.reverse();
}
