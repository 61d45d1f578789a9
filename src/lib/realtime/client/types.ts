import type { ChatMessage } from '@/lib/schemas/chat-messages';

/**
 * A chat message as the browser holds it: the stream/history shape, inferred from the response
 * schema the server's views are typed against (src/lib/schemas/chat-messages.ts).
 */
export type ClientChatMessage = ChatMessage;

export type ConnectionState = 'live' | 'reconnecting' | 'polling';

/** The ways of receiving messages, in the order they are tried. */
export type TransportName = 'pusher' | 'sse' | 'polling';

/** What the UI shows: the state, and the transport it is in (null before the first one starts). */
export interface Connection {
  state: ConnectionState;
  transport: TransportName | null;
}

/** `event: read` on the stream: either these ids, or everything up to a position. */
export type ReadEvent = { ids: string[] } | { upTo: number };
