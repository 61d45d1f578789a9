import { getDb } from '@/lib/db/client';
import { AppError } from '@/lib/errors/app-error';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import { HistoryLimit } from '@/lib/schemas/chat-messages';
import type { ChatMessage } from './chat-response.service';

/**
 * The user's latest `limit` messages, read or not, oldest first: what a chat window shows when
 * it opens. Reads the `(userId, position)` index backwards.
 *
 * @throws AppError `invalid_input` when `limit` is not an integer from 1 to MAX_HISTORY_PAGE.
 */
export async function getRecentMessages(userId: string, limit: number): Promise<ChatMessage[]> {
  const checked = HistoryLimit.safeParse(limit);
  if (!checked.success) throw new AppError('invalid_input', `limit: ${checked.error.issues[0]?.message}`);
  return chatMessageRepository.selectRecent(await getDb(), { userId, limit });
}
