// POST /api/chat-messages/mark-read { messageIds: string[] } - mark the caller's own messages read
import { withSession } from '@/lib/http/route';
import { MarkReadBody } from '@/lib/http/schemas';
import * as chatResponseService from '@/lib/services/chat-response.service';

export const POST = withSession({ limit: 'write', body: MarkReadBody }, async ({ userId, body }) => {
  const { count } = await chatResponseService.markMessagesAsRead(body.messageIds, userId);
  return { success: true, markedCount: count };
});
