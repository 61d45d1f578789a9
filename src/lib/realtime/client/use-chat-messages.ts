'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { browserPusherSettings, getClientEnv, type BrowserPusherSettings } from '@/lib/config/client-env';
import { Backoff } from '../backoff';
import { api, fetchHistoryAfter, fetchLatest, SignedOutError } from './api';
import { ActivityStore, type ShownActivity } from './activity-store';
import { MessageStore } from './message-store';
import { startLadder, type LadderSink } from './transports/ladder';
import { pollingTransport } from './transports/polling';
import { pusherTransport } from './transports/pusher';
import { sseTransport } from './transports/sse';
import type { Transport } from './transports/transport';
import type { ActivityPayload } from '@/lib/schemas/activity';
import type { ClientChatMessage, Connection, ReadEvent } from './types';

/**
 * The chat's real-time state over the transport ladder (transports/ladder.ts): Pusher when
 * NEXT_PUBLIC_PUSHER_KEY is set, else the built-in SSE stream, else polling every 5 s; `connection`
 * says which of them runs and in what state. One cursor
 * (the highest gap-free position seen, kept by the message store) is shared by all three, and
 * messages are de-duplicated by id, so switching transports or reconnecting after any outage
 * yields every message exactly once.
 */

export interface UseChatMessagesOptions {
  userId: string;
  /** Where pusher-js connects; defaults to the NEXT_PUBLIC_* settings, null skips Pusher. */
  pusher?: BrowserPusherSettings | null;
  /** Skip Pusher and SSE (tests, or browsers behind proxies that break streaming). */
  forcePolling?: boolean;
}

export interface UseChatMessages {
  messages: ClientChatMessage[];
  /**
   * True once the first page of history is in `messages`: what arrives after that is new (the
   * chat announces only those to screen readers, never the history itself).
   */
  historyLoaded: boolean;
  unreadCount: number;
  /** False until the server's count has been read once (the chat announces changes, not the first value). */
  unreadCountKnown: boolean;
  connection: Connection;
  markRead: (ids: string[]) => Promise<void>;
  markAllRead: () => Promise<void>;
  /** The agent's live activity per task id (expires after ACTIVITY_TTL unless refreshed). */
  activities: Record<string, ShownActivity>;
}

export function useChatMessages(options: UseChatMessagesOptions): UseChatMessages {
  const { userId, forcePolling } = options;
  const pusher = options.pusher === undefined ? browserPusherSettings(getClientEnv()) : options.pusher;
  // The effect below restarts on a change; compared by value, as callers may pass a new object each render.
  const pusherSettings = pusher ? JSON.stringify(pusher) : '';

  const storeRef = useRef(new MessageStore());
  const [messages, setMessages] = useState<ClientChatMessage[]>([]);
  const [historyLoaded, setHistoryLoaded] = useState(false);
  const [unreadCount, setUnreadCount] = useState(0);
  const [unreadCountKnown, setUnreadCountKnown] = useState(false);
  const [connection, setConnection] = useState<Connection>({ state: 'reconnecting', transport: null });
  const countTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const activityStore = useRef(new ActivityStore());
  const [activities, setActivities] = useState<Record<string, ShownActivity>>({});
  const expiryTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  /** Publishes the activities and schedules the next expiry (a prune when the earliest one is due). */
  const showActivities = useCallback(() => {
    const publish = () => {
      const store = activityStore.current;
      store.prune(Date.now());
      setActivities(store.snapshot());
      clearTimeout(expiryTimer.current);
      const next = store.nextExpiry();
      if (next !== undefined) expiryTimer.current = setTimeout(publish, Math.max(0, next - Date.now()) + 10);
    };
    publish();
  }, []);

  const applyActivity = useCallback(
    (activity: ActivityPayload) => {
      if (activityStore.current.apply(activity, Date.now())) showActivities();
    },
    [showActivities],
  );

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
        .then(({ total }) => {
          setUnreadCount(total);
          setUnreadCountKnown(true);
        })
        .catch(onSignedOut);
    }, 250);
  }, [onSignedOut]);

  const ingest = useCallback(
    (incoming: ClientChatMessage[], options?: { advanceCursor: boolean }) => {
      if (storeRef.current.add(incoming, options)) {
        setMessages(storeRef.current.messages);
        refreshCount();
      }
      if (activityStore.current.clearFor(incoming)) showActivities();
    },
    [refreshCount, showActivities],
  );

  const applyRead = useCallback(
    (event: ReadEvent) => {
      if (storeRef.current.markRead(event)) setMessages(storeRef.current.messages);
      refreshCount();
    },
    [refreshCount],
  );

  useEffect(() => {
    let stopped = false;
    // Stops whatever runs now (the ladder, or the wait before another first load).
    let stop: () => void = () => {};
    const sink: LadderSink = {
      messages: ingest,
      read: applyRead,
      activity: applyActivity,
      state: (state, transport) => setConnection({ state, transport }),
      countChanged: refreshCount,
      error: onSignedOut,
    };
    const polling = pollingTransport({ fetchAfter: fetchHistoryAfter });
    const rungs: Transport[] = forcePolling
      ? [polling]
      : [
          ...(pusherSettings
            ? [pusherTransport({ settings: JSON.parse(pusherSettings) as BrowserPusherSettings, userId, fetchAfter: fetchHistoryAfter })]
            : []),
          sseTransport(),
          polling,
        ];
    const firstLoad = new Backoff({ minMs: 1_000, maxMs: 30_000 });

    const start = async (): Promise<void> => {
      try {
        const first = await fetchLatest(100);
        if (stopped) return;
        ingest(first.messages);
        setHistoryLoaded(true);
        refreshCount();
        stop = startLadder(rungs, () => storeRef.current.cursor, sink);
      } catch (err) {
        if (err instanceof SignedOutError) return onSignedOut(err);
        if (stopped) return;
        // The server is unreachable or failing: try again, less and less often.
        setConnection({ state: 'reconnecting', transport: null });
        const retry = setTimeout(() => void start(), firstLoad.next());
        stop = () => clearTimeout(retry);
      }
    };
    void start();

    return () => {
      stopped = true;
      stop();
      clearTimeout(countTimer.current);
      clearTimeout(expiryTimer.current);
    };
  }, [userId, pusherSettings, forcePolling, ingest, applyRead, applyActivity, refreshCount, onSignedOut]);

  const markRead = useCallback(
    async (ids: string[]) => {
      const unread = ids.filter((id) => storeRef.current.messages.some((m) => m.id === id && !m.read));
      if (unread.length === 0) return;
      applyRead({ ids: unread });
      for (let i = 0; i < unread.length; i += 100) {
        await api('/api/chat-messages/mark-read', { method: 'POST', body: JSON.stringify({ messageIds: unread.slice(i, i + 100) }) }).catch(
          onSignedOut,
        );
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

  return { messages, historyLoaded, unreadCount, unreadCountKnown, connection, markRead, markAllRead, activities };
}
