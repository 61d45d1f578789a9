// POST /api/chat-messages/mark-read { messageIds: string[] } - mark the caller's own messages read
import { withSession } from '@/lib/http/route';
import { MarkReadBody, MarkReadResponse } from '@/lib/schemas/chat-messages';
import * as chatResponseService from '@/lib/services/chat-response.service';

export const POST = withSession({ limit: 'write', body: MarkReadBody, response: MarkReadResponse }, async ({ userId, body }) => {
  const { count } = await chatResponseService.markMessagesAsRead(body.messageIds, userId);
  return { success: true as const, markedCount: count };
});
