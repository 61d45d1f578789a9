'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { MessageStore } from './message-store';
import type { ClientChatMessage, ConnectionState, ReadEvent } from './types';

/**
 * The chat's real-time state over the transport ladder: Pusher when NEXT_PUBLIC_PUSHER_KEY is
 * set, else the built-in SSE stream, else polling every 5 s. One cursor (the highest position
 * seen) is shared by all three, and messages are de-duplicated by id, so switching transports or
 * reconnecting after any outage yields every message exactly once.
 */

const POLL_MS = 5_000;
const HISTORY_PAGE = 200;
/** How long a fallback to polling lasts before the stream is tried again. */
const STREAM_RETRY_MS = 30_000;

export interface UseChatMessagesOptions {
  userId: string;
  pusherKey?: string;
  pusherCluster?: string;
  /** Skip Pusher and SSE (tests, or browsers behind proxies that break streaming). */
  forcePolling?: boolean;
}

export interface UseChatMessages {
  messages: ClientChatMessage[];
  unreadCount: number;
  connection: ConnectionState;
  markRead: (ids: string[]) => Promise<void>;
  markAllRead: () => Promise<void>;
}

class SignedOutError extends Error {}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: init?.body ? { 'Content-Type': 'application/json' } : undefined,
    cache: 'no-store',
  });
  if (response.status === 401) throw new SignedOutError('signed out');
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as T;
}

type HistoryPage = { messages: ClientChatMessage[]; hasMore: boolean; lastPosition: number };

export function useChatMessages(options: UseChatMessagesOptions): UseChatMessages {
  const { userId, forcePolling } = options;
  const pusherKey = options.pusherKey ?? process.env.NEXT_PUBLIC_PUSHER_KEY;
  const pusherCluster = options.pusherCluster ?? process.env.NEXT_PUBLIC_PUSHER_CLUSTER ?? 'mt1';

  const storeRef = useRef(new MessageStore());
  const [messages, setMessages] = useState<ClientChatMessage[]>([]);
  const [unreadCount, setUnreadCount] = useState(0);
  const [connection, setConnection] = useState<ConnectionState>('reconnecting');
  const countTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const router = useRouter();
  const onSignedOut = useCallback(
    (err: unknown) => {
      if (err instanceof SignedOutError) router.replace('/login');
    },
    [router],
  );

  /** The badge is the server's count (messages beyond the loaded page count too), fetched at most every 250 ms. */
  const refreshCount = useCallback(() => {
    clearTimeout(countTimer.current);
    countTimer.current = setTimeout(() => {
      api<{ total: number }>('/api/chat-messages/unread-count')
        .then(({ total }) => setUnreadCount(total))
        .catch(onSignedOut);
    }, 250);
  }, [onSignedOut]);

  const ingest = useCallback(
    (incoming: ClientChatMessage[], options?: { advanceCursor: boolean }) => {
      if (storeRef.current.add(incoming, options)) {
        setMessages(storeRef.current.messages);
        refreshCount();
      }
    },
    [refreshCount],
  );

  const applyRead = useCallback(
    (event: ReadEvent) => {
      if (storeRef.current.markRead(event)) setMessages(storeRef.current.messages);
      refreshCount();
    },
    [refreshCount],
  );

  /** Fetches everything after the cursor, page by page (polling, and Pusher's gap filler). */
  const catchUp = useCallback(async () => {
    for (let page = 0; page < 50; page++) {
      const { messages: batch, hasMore } = await api<HistoryPage>(
        `/api/chat-messages/history?after=${storeRef.current.cursor}&limit=${HISTORY_PAGE}`,
      );
      ingest(batch);
      if (!hasMore) return;
    }
  }, [ingest]);

  useEffect(() => {
    let stopped = false;
    // The running transport's teardown; replaced, never accumulated, when the transport changes.
    let stopTransport: () => void = () => {};
    const switchTo = (start: () => () => void) => {
      stopTransport();
      stopTransport = stopped ? () => {} : start();
    };

    const polling = (retryStreamAfterMs?: number) => () => {
      setConnection('polling');
      const tick = () => void catchUp().then(refreshCount, onSignedOut);
      tick();
      const interval = setInterval(tick, POLL_MS);
      const retry = retryStreamAfterMs ? setTimeout(() => switchTo(stream), retryStreamAfterMs) : undefined;
      return () => {
        clearInterval(interval);
        clearTimeout(retry);
      };
    };

    const stream = (): (() => void) => {
      if (typeof EventSource === 'undefined') return polling()();
      // ?since is the cursor now; on its own reconnects EventSource sends Last-Event-ID, which wins.
      const source = new EventSource(`/api/chat-messages/stream?since=${storeRef.current.cursor}`);
      source.onopen = () => {
        setConnection('live');
        refreshCount();
      };
      source.addEventListener('chat-message', (event) => ingest([JSON.parse((event as MessageEvent<string>).data) as ClientChatMessage]));
      source.addEventListener('read', (event) => applyRead(JSON.parse((event as MessageEvent<string>).data) as ReadEvent));
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) {
          // The server refused the stream (too many tabs, database down): poll, and try again later.
          switchTo(polling(STREAM_RETRY_MS));
        } else {
          setConnection('reconnecting');
        }
      };
      return () => source.close();
    };

    const pusherTransport = (): (() => void) => {
      let pusher: { disconnect: () => void } | undefined;
      let gapTimer: ReturnType<typeof setTimeout> | undefined;
      let interval: ReturnType<typeof setInterval> | undefined;
      // Each event is shown at once, then the history fills whatever Pusher did not deliver.
      const fillGaps = () => {
        clearTimeout(gapTimer);
        gapTimer = setTimeout(() => void catchUp().catch(onSignedOut), 200);
      };
      void import('pusher-js').then(({ default: Pusher }) => {
        if (stopped) return;
        const client = new Pusher(pusherKey!, {
          cluster: pusherCluster,
          channelAuthorization: { endpoint: '/api/pusher/auth', transport: 'ajax' },
        });
        pusher = client;
        const channel = client.subscribe(`private-user-${userId}`);
        // Only once subscribed is nothing missed from here on: catch up from the cursor then.
        channel.bind('pusher:subscription_succeeded', () => {
          setConnection('live');
          fillGaps();
        });
        channel.bind('chat-message', (event: ClientChatMessage & { truncated?: boolean }) => {
          // Over Pusher's 10 KB limit the event is thin; the catch-up brings the body.
          if (!event.truncated) ingest([{ ...event, read: false }], { advanceCursor: false });
          fillGaps();
        });
        client.connection.bind('state_change', ({ current }: { current: string }) => {
          if (current === 'connecting') setConnection('reconnecting');
          // Pusher cannot be reached: the built-in stream takes over.
          if (current === 'unavailable' || current === 'failed') switchTo(stream);
        });
        // Pusher carries no read events between tabs; the count is refreshed instead.
        interval = setInterval(refreshCount, 30_000);
      });
      return () => {
        clearTimeout(gapTimer);
        clearInterval(interval);
        pusher?.disconnect();
      };
    };

    const start = async (attempt: number): Promise<void> => {
      try {
        const first = await api<HistoryPage>(`/api/chat-messages/history?limit=100`);
        if (stopped) return;
        ingest(first.messages);
        refreshCount();
        switchTo(forcePolling ? polling() : pusherKey ? pusherTransport : stream);
      } catch (err) {
        if (err instanceof SignedOutError) return onSignedOut(err);
        // The server is unreachable or failing: try again, less and less often.
        setConnection('reconnecting');
        const retry = setTimeout(() => void start(attempt + 1), Math.min(30_000, 1_000 * 2 ** attempt));
        stopTransport = () => clearTimeout(retry);
      }
    };
    void start(0);

    return () => {
      stopped = true;
      stopTransport();
      clearTimeout(countTimer.current);
    };
  }, [userId, pusherKey, pusherCluster, forcePolling, ingest, applyRead, catchUp, refreshCount, onSignedOut]);

  const markRead = useCallback(
    async (ids: string[]) => {
      const unread = ids.filter((id) => storeRef.current.messages.some((m) => m.id === id && !m.read));
      if (unread.length === 0) return;
      applyRead({ ids: unread });
      for (let i = 0; i < unread.length; i += 100) {
        await api('/api/chat-messages/mark-read', { method: 'POST', body: JSON.stringify({ messageIds: unread.slice(i, i + 100) }) }).catch(onSignedOut);
      }
      refreshCount();
    },
    [applyRead, refreshCount, onSignedOut],
  );

  const markAllRead = useCallback(async () => {
    // Only up to what this tab has seen: a message arriving meanwhile stays unread.
    const upTo = storeRef.current.cursor;
    applyRead({ upTo });
    await api('/api/chat-messages/mark-all-read', { method: 'POST', body: JSON.stringify({ upTo }) }).catch(onSignedOut);
    refreshCount();
  }, [applyRead, refreshCount, onSignedOut]);

  return { messages, unreadCount, connection, markRead, markAllRead };
}
