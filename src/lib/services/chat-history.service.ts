import { getDb } from '@/lib/db/client';
import { AppError } from '@/lib/errors/app-error';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import type { ChatMessage } from './chat-response.service';

export const MAX_HISTORY_PAGE = 200;

/**
 * The user's latest `limit` messages, read or not, oldest first: what a chat window shows when
 * it opens. Reads the `(userId, position)` index backwards.
 *
 * @throws AppError `invalid_input` when `limit` is not an integer from 1 to MAX_HISTORY_PAGE.
 */
export async function getRecentMessages(userId: string, limit: number): Promise<ChatMessage[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_PAGE) {
    throw new AppError('invalid_input', `limit: must be an integer from 1 to ${MAX_HISTORY_PAGE}`);
  }
  return chatMessageRepository.selectRecent(await getDb(), { userId, limit });
}
