// GET /api/chat-messages/unread-count - how many unread messages the caller has, in all and per priority (for badges)
import { withSession } from '@/lib/http/route';
import { UnreadCountResponse } from '@/lib/schemas/chat-messages';
import * as chatResponseService from '@/lib/services/chat-response.service';

export const GET = withSession({ limit: 'read', response: UnreadCountResponse }, async ({ userId }) =>
  chatResponseService.getUnreadCount(userId),
);
