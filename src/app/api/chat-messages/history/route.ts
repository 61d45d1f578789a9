// GET /api/chat-messages/history?after=<position>&limit=1..200 - messages read or not, with positions:
// after a cursor (catch-up for polling and Pusher reconnects), or without one the latest page.
import { withSession } from '@/lib/http/route';
import { HistoryQuery, HistoryResponse } from '@/lib/schemas/chat-messages';
import { getRecentMessages } from '@/lib/services/chat-history.service';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { toStreamItem } from '@/lib/services/chat-message.views';

export const GET = withSession({ limit: 'read', query: HistoryQuery, response: HistoryResponse }, async ({ userId, query }) => {
  const [page, { position }] = await Promise.all([
    query.after === undefined
      ? getRecentMessages(userId, query.limit).then((messages) => ({ messages, hasMore: false }))
      : chatResponseService.getMessagesAfter(userId, query.after, query.limit),
    chatResponseService.getLastPosition(userId),
  ]);
  return { messages: page.messages.map(toStreamItem), hasMore: page.hasMore, lastPosition: position };
});
