// GET /api/chat-messages?limit=1..100&minPriority=high - the signed-in user's unread messages, oldest first
// POST /api/chat-messages { messageIds } - mark messages read (the guide's file list puts it here too)
import { withSession } from '@/lib/http/route';
import { UnreadListQuery, UnreadListResponse } from '@/lib/schemas/chat-messages';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { toUnreadItem } from '@/lib/services/chat-message.views';

export { POST } from './mark-read/route';

export const GET = withSession({ limit: 'read', query: UnreadListQuery, response: UnreadListResponse }, async ({ userId, query }) => {
  const { messages, total } = await chatResponseService.getUnreadMessages(userId, query.limit, { minPriority: query.minPriority });
  return { messages: messages.map(toUnreadItem), total, hasMore: total > messages.length };
});
