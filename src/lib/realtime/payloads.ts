import type { ChatMessageRow } from '@/lib/db/schema';
import type { ChatMessagePayload } from './protocol';

/**
 * A stored message in the shape the SSE stream, the history endpoint and `by-id` send
 * (protocol.ts `ChatMessagePayload`): the list item plus `read` and `position`.
 */
export function toChatMessagePayload(m: ChatMessageRow): ChatMessagePayload {
  return {
    id: m.id,
    type: m.type,
    taskId: m.taskId,
    content: m.content,
    data: m.data ?? {},
    createdAt: m.createdAt.toISOString(),
    read: m.read,
    position: m.position,
  };
}
