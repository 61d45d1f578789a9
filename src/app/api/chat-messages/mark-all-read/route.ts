// POST /api/chat-messages/mark-all-read { upTo: <position> } - mark the caller's messages up to a
// position read; a message that arrives during the request (a later position) stays unread.
import { withSession } from '@/lib/http/route';
import { MarkAllReadBody, MarkReadResponse } from '@/lib/schemas/chat-messages';
import * as chatResponseService from '@/lib/services/chat-response.service';

export const POST = withSession({ limit: 'write', body: MarkAllReadBody, response: MarkReadResponse }, async ({ userId, body }) => {
  const { count } = await chatResponseService.markAllAsRead(userId, body.upTo);
  return { success: true as const, markedCount: count };
});
