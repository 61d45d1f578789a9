'use client';

import { useEffect, useRef, useState } from 'react';
import type { ClientChatMessage } from '@/lib/realtime/client/types';
import { MESSAGE_KINDS } from './message-kinds';

/** More than this many arriving at once (a catch-up after a reconnect) are announced as a count. */
const MAX_READ_OUT = 3;
/** The log keeps only the last few lines: screen readers announce additions, not what stays. */
const KEEP = 5;

export interface Announcement {
  key: string;
  text: string;
}

/**
 * What the conversation's live log says: each agent message that arrives after the history was
 * loaded, once. The history itself, a re-render or a regrouping of the list adds nothing.
 */
export function useAnnouncements(messages: ClientChatMessage[], historyLoaded: boolean): Announcement[] {
  const known = useRef<Set<string> | null>(null);
  const [announcements, setAnnouncements] = useState<Announcement[]>([]);

  useEffect(() => {
    if (!historyLoaded) return;
    if (known.current === null) {
      known.current = new Set(messages.map((m) => m.id));
      return;
    }
    const seen = known.current;
    const fresh = messages.filter((m) => !seen.has(m.id));
    if (fresh.length === 0) return;
    for (const m of fresh) seen.add(m.id);
    const lines =
      fresh.length > MAX_READ_OUT
        ? [{ key: fresh.at(-1)!.id, text: `${fresh.length} new messages from the agent.` }]
        : fresh.map((m) => ({ key: m.id, text: `${MESSAGE_KINDS[m.type].label}: ${m.content}` }));
    // Derived from messages that arrived outside React (the transports): state is the log's content.
    setAnnouncements((previous) => [...previous, ...lines].slice(-KEEP));
  }, [messages, historyLoaded]);

  return announcements;
}

/** "3 unread messages" once the server's count changes after its first reading (never for the first value). */
export function useUnreadAnnouncement(count: number, known: boolean): string {
  const last = useRef<number | null>(null);
  const [note, setNote] = useState('');
  useEffect(() => {
    if (!known) return;
    if (last.current === null || last.current === count) {
      last.current = count;
      return;
    }
    last.current = count;
    setNote(`${count} unread message${count === 1 ? '' : 's'}`);
  }, [count, known]);
  return note;
}
