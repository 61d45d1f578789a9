import { HistoryQuery, HistoryResponse, UnreadCountResponse, UnreadListQuery, UnreadListResponse } from '@/lib/schemas/chat-messages';
import { getRecentMessages } from '@/lib/services/chat-history.service';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { toStreamItem, toUnreadItem } from '@/lib/services/chat-message.views';
import { withSession } from './route';

/**
 * The reads a polling tab makes, shared by their route files (the documented contract) and
 * the app's Node entry (src/server/direct-routes.ts), which serves their GETs before Next.js:
 * the same handler, checks, limits and error table, without Next's per-request runtime.
 */

/** GET /api/chat-messages?limit=1..100&minPriority=high: the signed-in user's unread messages, oldest first. */
export const getUnreadList = withSession(
  { limit: 'read', query: UnreadListQuery, response: UnreadListResponse },
  async ({ userId, query }) => {
    const { messages, total } = await chatResponseService.getUnreadMessages(userId, query.limit, { minPriority: query.minPriority });
    return { messages: messages.map(toUnreadItem), total, hasMore: total > messages.length };
  },
);

/** GET /api/chat-messages/unread-count: how many unread messages the caller has, in all and per priority. */
export const getUnreadCount = withSession({ limit: 'read', response: UnreadCountResponse }, async ({ userId }) =>
  chatResponseService.getUnreadCount(userId),
);

/**
 * GET /api/chat-messages/history?after=<position>&limit=1..200: messages read or not, with
 * positions: after a cursor (the catch-up of polling and Pusher reconnects), or without one the
 * latest page.
 */
export const getHistory = withSession({ limit: 'read', query: HistoryQuery, response: HistoryResponse }, async ({ userId, query }) => {
  const [page, { position }] = await Promise.all([
    query.after === undefined
      ? getRecentMessages(userId, query.limit).then((messages) => ({ messages, hasMore: false }))
      : chatResponseService.getMessagesAfter(userId, query.after, query.limit),
    chatResponseService.getLastPosition(userId),
  ]);
  return { messages: page.messages.map(toStreamItem), hasMore: page.hasMore, lastPosition: position };
});

/** The reads above by path, for the Node entry. */
export const CHAT_READ_ENDPOINTS = {
  '/api/chat-messages': getUnreadList,
  '/api/chat-messages/history': getHistory,
  '/api/chat-messages/unread-count': getUnreadCount,
} as const;
