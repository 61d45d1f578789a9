// GET /api/chat-messages/history?after=<position>&limit=1..200 - messages read or not, with positions:
// after a cursor (catch-up for polling and Pusher reconnects), or without one the latest page.
import { z } from 'zod';
import { withSession } from '@/lib/http/route';
import { StreamQuery } from '@/lib/http/schemas';
import { getRecentMessages, MAX_HISTORY_PAGE } from '@/lib/services/chat-history.service';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { toStreamItem } from '@/lib/services/chat-message.views';

const LIMIT_MESSAGE = `must be an integer from 1 to ${MAX_HISTORY_PAGE}`;
const HistoryQuery = z.object({
  after: StreamQuery.shape.since,
  limit: z.string().regex(/^\d{1,3}$/, LIMIT_MESSAGE).transform(Number).pipe(z.number().int().min(1, LIMIT_MESSAGE).max(MAX_HISTORY_PAGE, LIMIT_MESSAGE)).optional().default(100),
});

export const GET = withSession({ limit: 'read', query: HistoryQuery }, async ({ userId, query }) => {
  const [page, { position }] = await Promise.all([
    query.after === undefined
      ? getRecentMessages(userId, query.limit).then((messages) => ({ messages, hasMore: false }))
      : chatResponseService.getMessagesAfter(userId, query.after, query.limit),
    chatResponseService.getLastPosition(userId),
  ]);
  return { messages: page.messages.map(toStreamItem), hasMore: page.hasMore, lastPosition: position };
});
