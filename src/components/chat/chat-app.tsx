'use client';

import { useEffect, useMemo, useRef, useState } from 'react';
import { SignOutButton } from '@/components/sign-out-button';
import { useChatMessages } from '@/lib/realtime/client/use-chat-messages';
import type { ClientChatMessage, Connection } from '@/lib/realtime/client/types';
import { Composer } from './composer';
import { MESSAGE_KINDS } from './message-kinds';
import { PriorityBadge } from './priority-badge';
import { UrgentBanner } from './urgent-banner';
import { TaskHistory } from './task-history';
import { useTasks, type TaskSummary } from './use-tasks';
import styles from './chat.module.css';

const LIVE_TEXT = { pusher: 'Live · Pusher', sse: 'Live · stream', polling: 'Live' } as const;

/** The connection as the header shows it: the state, and over which transport messages come while live. */
function connectionText({ state, transport }: Connection): string {
  if (state === 'reconnecting') return 'Reconnecting…';
  if (state === 'polling') return 'Polling';
  return transport ? LIVE_TEXT[transport] : 'Live';
}
const AUTO_READ_KEY = 'chat:mark-read-when-seen';

interface Group {
  taskId: string | null;
  messages: ClientChatMessage[];
  lastPosition: number;
}

function groupByTask(messages: ClientChatMessage[]): Group[] {
  const groups = new Map<string, Group>();
  for (const m of messages) {
    const key = m.taskId ?? '';
    const group = groups.get(key) ?? { taskId: m.taskId, messages: [], lastPosition: 0 };
    group.messages.push(m);
    group.lastPosition = Math.max(group.lastPosition, m.position);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.lastPosition - b.lastPosition);
}

function MessageItem({ message }: { message: ClientChatMessage }) {
  const kind = MESSAGE_KINDS[message.type];
  const time = new Date(message.createdAt).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  return (
    <li
      className={`${styles.message} ${styles[kind.className]} ${message.read ? '' : styles.unread}`}
      data-message-id={message.id}
      data-type={message.type}
      data-read={message.read}
      data-priority={message.priority}
      role={message.type === 'ERROR' ? 'alert' : undefined}
    >
      <span className={styles.icon} aria-hidden="true">
        {kind.icon}
      </span>
      <div className={styles.body}>
        <div className={styles.meta}>
          <span className={styles.kind}>{kind.label}</span>
          <PriorityBadge priority={message.priority} />
          <time dateTime={message.createdAt}>{time}</time>
          {!message.read && <span className={styles.newTag}>new</span>}
        </div>
        <p className={styles.content}>{message.content}</p>
      </div>
    </li>
  );
}

/** The signed-in user's chat with the scheduling agent. */
export function ChatApp({ userId, email }: { userId: string; email: string }) {
  const { messages, unreadCount, connection, markRead, markAllRead } = useChatMessages({ userId });
  const { tasks, working, refresh } = useTasks();
  const [autoRead, setAutoRead] = useState(true);
  const [historyTask, setHistoryTask] = useState<string | null>(null);
  const feedRef = useRef<HTMLElement>(null);

  useEffect(() => {
    // The preference lives in this browser only.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setAutoRead(window.localStorage.getItem(AUTO_READ_KEY) !== 'off');
  }, []);

  const tasksById = useMemo(() => new Map<string, TaskSummary>(tasks.map((t) => [t.id, t])), [tasks]);
  const groups = useMemo(() => groupByTask(messages), [messages]);
  const waitingTask = tasks.find((t) => t.status === 'WAITING_FOR_USER');

  // New agent messages change task states: re-read them.
  const lastPosition = messages.at(-1)?.position ?? 0;
  useEffect(() => {
    if (lastPosition > 0) refresh();
  }, [lastPosition, refresh]);

  // Keep the newest message in view.
  useEffect(() => {
    feedRef.current?.scrollTo({ top: feedRef.current.scrollHeight });
  }, [lastPosition, tasks.length]);

  // Messages are marked read once they have been on screen in a visible tab.
  useEffect(() => {
    if (!autoRead || !feedRef.current) return;
    const seen = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const id = (entry.target as HTMLElement).dataset.messageId;
          if (entry.isIntersecting && id && document.visibilityState === 'visible') seen.add(id);
        }
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (seen.size > 0) void markRead([...seen]);
          seen.clear();
        }, 600);
      },
      { threshold: 0.6 },
    );
    // Never an URGENT message: it stays unread (and in the urgent banner) until the user acts on it.
    feedRef.current.querySelectorAll('[data-read="false"]:not([data-priority="URGENT"])').forEach((el) => observer.observe(el));
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [autoRead, messages, markRead]);

  function toggleAutoRead(on: boolean) {
    setAutoRead(on);
    window.localStorage.setItem(AUTO_READ_KEY, on ? 'on' : 'off');
  }

  return (
    <div className={styles.app}>
      <header className={styles.header}>
        <h1>Scheduling assistant</h1>
        <div className={styles.toolbar}>
          <span
            className={`${styles.connection} ${styles[connection.state]}`}
            role="status"
            data-testid="connection"
            data-state={connection.state}
            data-transport={connection.transport ?? ''}
          >
            <span aria-hidden="true">●</span> {connectionText(connection)}
          </span>
          <span className={styles.badge} data-testid="unread-badge" aria-label={`${unreadCount} unread messages`}>
            {unreadCount}
          </span>
          <button type="button" onClick={() => void markAllRead()} disabled={unreadCount === 0}>
            Mark all read
          </button>
          <label className={styles.autoRead}>
            <input type="checkbox" checked={autoRead} onChange={(e) => toggleAutoRead(e.target.checked)} />
            Mark read when seen
          </label>
          <span className={styles.user}>{email}</span>
          <SignOutButton className={styles.linkButton} />
        </div>
      </header>

      <main className={styles.feed} ref={feedRef} aria-label="Conversation" aria-live="polite">
        <UrgentBanner messages={messages} onRead={(ids) => void markRead(ids)} />
        {groups.length === 0 && <p className={styles.empty}>No messages yet. Ask the agent to book a meeting below.</p>}
        {groups.map((group) => {
          const task = group.taskId ? tasksById.get(group.taskId) : undefined;
          return (
            <section key={group.taskId ?? 'general'} className={styles.group} aria-label={task ? `Task: ${task.request}` : 'Messages'}>
              {group.taskId && (
                <div className={styles.groupHeader}>
                  <button type="button" className={styles.linkButton} onClick={() => setHistoryTask(group.taskId)}>
                    {task ? task.request : `Task ${group.taskId}`}
                  </button>
                  {task && <span className={styles.status}>{task.status.replaceAll('_', ' ').toLowerCase()}</span>}
                </div>
              )}
              {task && task.answers.length > 0 && (
                <p className={styles.answers}>You replied: {task.answers.map((a) => `“${a}”`).join(', ')}</p>
              )}
              <ol className={styles.messages}>
                {group.messages.map((m) => (
                  <MessageItem key={m.id} message={m} />
                ))}
              </ol>
            </section>
          );
        })}
      </main>

      <footer className={styles.footer}>
        {working && (
          <p className={styles.working} role="status" data-testid="agent-working">
            <span className={styles.dots} aria-hidden="true" /> The agent is working…
          </p>
        )}
        <Composer onSent={refresh} waitingTaskId={waitingTask?.id} />
      </footer>

      {historyTask && (
        <TaskHistory taskId={historyTask} request={tasksById.get(historyTask)?.request} onClose={() => setHistoryTask(null)} />
      )}
    </div>
  );
}
