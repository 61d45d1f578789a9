import { REALTIME_PATHS, SSE_EVENTS, type ChatMessagePayload, type ReadChange } from '../../protocol';
import type { ActivityPayload } from '@/lib/schemas/activity';
import type { Transport } from './transport';

/** The part of the browser's EventSource the transport uses (tests pass a fake). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export interface EventSourceClass {
  new (url: string): EventSourceLike;
  readonly CLOSED: number;
}

/**
 * The built-in stream, `GET /api/chat-messages/stream?since=<cursor>`. EventSource reconnects by
 * itself after a dropped connection (sending Last-Event-ID, which wins over `since`), so a drop
 * is only `reconnecting`; a refused stream (too many tabs, database down) ends in CLOSED, which
 * the ladder answers with polling and a later retry. Without EventSource it fails for good.
 */
export function sseTransport(deps: { EventSource?: EventSourceClass } = {}): Transport {
  return {
    name: 'sse',
    start(cursor, sink) {
      const Source = deps.EventSource ?? (globalThis.EventSource as EventSourceClass | undefined);
      if (!Source) {
        sink.failed({ retry: false });
        return () => {};
      }
      const source = new Source(`${REALTIME_PATHS.stream}?since=${cursor()}`);
      source.onopen = () => {
        sink.state('live');
        sink.countChanged();
      };
      source.addEventListener(SSE_EVENTS.chatMessage, (event) => sink.messages([JSON.parse(event.data) as ChatMessagePayload]));
      source.addEventListener(SSE_EVENTS.read, (event) => sink.read(JSON.parse(event.data) as ReadChange));
      source.addEventListener(SSE_EVENTS.activity, (event) => sink.activity?.(JSON.parse(event.data) as ActivityPayload));
      source.onerror = () => {
        if (source.readyState === Source.CLOSED) sink.failed({ retry: true });
        else sink.state('reconnecting');
      };
      return () => source.close();
    },
  };
}
