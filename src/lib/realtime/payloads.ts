import type { ChatMessageRow } from '@/lib/db/schema';
import { toAttachmentViews } from '@/lib/schemas/attachments';
import type { ChatMessagePayload } from './protocol';

/**
 * A message's `data` as every transport sends it: the stored object, or `{}` when the sender gave
 * none. Sends only store plain objects; a row stored otherwise (before that rule, or written by
 * hand) is sent as `{}` too, so no client ever sees null, a string or an array there.
 */
export function dataObject(data: unknown): Record<string, unknown> {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

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
    data: dataObject(m.data),
    createdAt: m.createdAt.toISOString(),
    attachments: toAttachmentViews(m.attachments),
    read: m.read,
    position: m.position,
    priority: m.priority,
  };
}
