/** A chat message as the browser holds it: the stream/history shape. */
export interface ClientChatMessage {
  id: string;
  type: 'SCHEDULING_UPDATE' | 'CONFIRMATION' | 'CLARIFICATION' | 'CANCELLATION' | 'ERROR' | 'INFO';
  taskId: string | null;
  content: string;
  data: Record<string, unknown>;
  createdAt: string;
  read: boolean;
  position: number;
}

export type ConnectionState = 'live' | 'reconnecting' | 'polling';

/** `event: read` on the stream: either these ids, or everything up to a position. */
export type ReadEvent = { ids: string[] } | { upTo: number };
