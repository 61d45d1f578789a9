import type { ChatMessage } from '@/lib/schemas/chat-messages';

/**
 * A chat message as the browser holds it: the stream/history shape, inferred from the response
 * schema the server's views are typed against (src/lib/schemas/chat-messages.ts).
 */
export type ClientChatMessage = ChatMessage;

export type ConnectionState = 'live' | 'reconnecting' | 'polling';

/** `event: read` on the stream: either these ids, or everything up to a position. */
export type ReadEvent = { ids: string[] } | { upTo: number };
