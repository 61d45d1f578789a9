import type { ChatMessageRow } from '@/lib/db/schema';
import { dataObject, toChatMessagePayload } from '@/lib/realtime/payloads';
import { toAttachmentViews } from '@/lib/schemas/attachments';
import type { ChatMessage, TaskMessage, UnreadMessage } from '@/lib/schemas/chat-messages';

/**
 * The message shapes of the guide's REST API, typed by the response schemas in
 * src/lib/schemas/chat-messages.ts (which the browser's types and the OpenAPI document come from).
 * `data` is always an object ({} when the sender gave none) so clients need no null checks.
 */

/** An item of `GET /api/chat-messages`: `{ id, type, taskId, content, data, createdAt }`. */
export function toUnreadItem(m: ChatMessageRow): UnreadMessage {
  // The stream's item without the per-user `read` and `position`, in the same key order.
  const { read: _read, position: _position, ...item } = toChatMessagePayload(m);
  return item;
}

/** An item of `GET /api/chat-messages/{taskId}`: `{ id, type, content, data, read, createdAt }`. */
export function toTaskItem(m: ChatMessageRow): TaskMessage {
  return {
    id: m.id,
    type: m.type,
    content: m.content,
    data: dataObject(m.data),
    read: m.read,
    createdAt: m.createdAt.toISOString(),
    attachments: toAttachmentViews(m.attachments),
    priority: m.priority,
  };
}

/**
 * A message as the SSE stream and `GET /api/chat-messages/by-id/{id}` send it: the list item plus
 * `read` and `position` (the client's cursor, also the SSE event id). The stream writes it
 * from the real-time layer, so the shape is defined there (protocol.ts).
 */
export function toStreamItem(m: ChatMessageRow): ChatMessage {
  return toChatMessagePayload(m);
}
