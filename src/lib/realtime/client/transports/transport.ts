import type { ClientChatMessage, ConnectionState, ReadEvent, TransportName } from '../types';
import type { FetchAfter } from '../api';
import type { ActivityPayload } from '@/lib/schemas/activity';

/**
 * What a transport hands its messages and news to. The hook's sink feeds the one message store;
 * the ladder wraps it per transport so that a stopped transport's late callbacks are dropped.
 */
export interface TransportSink {
  /**
   * Messages in. `advanceCursor: false` when the transport cannot promise that nothing before
   * them is missing (Pusher keeps no history): only gap-free sources may move the cursor.
   */
  messages(messages: ClientChatMessage[], options?: { advanceCursor: boolean }): void;
  /** Messages were marked read, in this tab or another. */
  read(event: ReadEvent): void;
  /** The agent's live activity (never stored; only while connected). */
  activity?(activity: ActivityPayload): void;
  /** The connection state the UI shows. */
  state(state: ConnectionState): void;
  /** The server's unread count may have changed. */
  countChanged(): void;
  /** A request failed; the hook acts on signing out, the transport carries on. */
  error(err: unknown): void;
  /**
   * The transport cannot go on (refused, unreachable, unsupported): the ladder moves to the next
   * rung. `retry` says whether trying this transport again later can help.
   */
  failed(options: { retry: boolean }): void;
}

/** The highest gap-free position the client holds; read each time, as it moves while a transport runs. */
export type Cursor = () => number;

/** One way of receiving messages. `start` begins from the cursor and returns the function that stops it. */
export interface Transport {
  name: TransportName;
  start(cursor: Cursor, sink: TransportSink): () => void;
}

/** Fetches everything after the cursor, page by page (bounded, so a huge backlog cannot loop forever). */
export async function catchUp(fetchAfter: FetchAfter, cursor: Cursor, sink: TransportSink): Promise<void> {
  for (let page = 0; page < 50; page++) {
    const { messages, hasMore } = await fetchAfter(cursor());
    sink.messages(messages);
    if (!hasMore) return;
  }
}
