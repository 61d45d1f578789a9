import { desc, eq } from 'drizzle-orm';
import { getDb } from '@/lib/db/client';
import { chatMessages } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import { HistoryLimit } from '@/lib/schemas/chat-messages';
import type { ChatMessage } from './chat-response.service';

/**
 * The user's latest `limit` messages, read or not, oldest first: what a chat window shows when
 * it opens. Reads the `(userId, position)` index backwards.
 */
export async function getRecentMessages(userId: string, limit: number): Promise<ChatMessage[]> {
  const checked = HistoryLimit.safeParse(limit);
  if (!checked.success) throw new AppError('invalid_input', `limit: ${checked.error.issues[0]?.message}`);
  const db = await getDb();
  const rows = await db
    .select()
    .from(chatMessages)
    .where(eq(chatMessages.userId, userId))
    .orderBy(desc(chatMessages.position))
    .limit(limit);
  return rows.reverse();
}
