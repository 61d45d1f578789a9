'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { SignOutButton } from '@/components/sign-out-button';
import type { BrowserPusherSettings } from '@/lib/config/client-env';
import { useChatMessages } from '@/lib/realtime/client/use-chat-messages';
import type { Connection } from '@/lib/realtime/client/types';
import type { MessageChoice } from '@/lib/schemas/chat-messages';
import { AgentActivity } from './agent-activity';
import { Composer } from './composer';
import { AgentMessageItem, UserMessageItem } from './message-item';
import { UrgentBanner } from './urgent-banner';
import { useAnnouncements, useUnreadAnnouncement } from './announcements';
import { focusComposer, sendToAgent } from './send-request';
import { TaskHistory } from './task-history';
import { buildTimeline, toRuns, type AgentEntry } from './timeline';
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

/**
 * The signed-in user's chat with the scheduling agent: what they said and what the agent answered
 * in one time order, each task's run lightly grouped. `timeZone` is the user's saved zone (the
 * agent writes in it); without one, the browser's. `pusher` is where the browser's Pusher rung
 * connects (null: no Pusher), as the server read it from NEXT_PUBLIC_PUSHER_* when it started.
 */
export function ChatApp({
  userId,
  email,
  timeZone: savedZone,
  pusher,
}: {
  userId: string;
  email: string;
  timeZone: string | null;
  pusher: BrowserPusherSettings | null;
}) {
  const { messages, historyLoaded, unreadCount, unreadCountKnown, connection, markRead, markAllRead, activities } = useChatMessages({
    userId,
    pusher,
  });
  const { tasks, working, refresh } = useTasks();
  const [autoRead, setAutoRead] = useState(true);
  const [historyTask, setHistoryTask] = useState<string | null>(null);
  const [pendingChoice, setPendingChoice] = useState<{ messageId: string; value: string } | null>(null);
  const [choiceError, setChoiceError] = useState<string | null>(null);
  const [browserZone, setBrowserZone] = useState('UTC');
  const feedRef = useRef<HTMLElement>(null);
  const timeZone = savedZone ?? browserZone;

  useEffect(() => {
    // The preference lives in this browser only; the zone is the browser's (the server renders without one).
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setAutoRead(window.localStorage.getItem(AUTO_READ_KEY) !== 'off');
    setBrowserZone(Intl.DateTimeFormat().resolvedOptions().timeZone);
  }, []);

  const tasksById = useMemo(() => new Map<string, TaskSummary>(tasks.map((t) => [t.id, t])), [tasks]);
  const runs = useMemo(() => toRuns(buildTimeline(messages, tasks)), [messages, tasks]);
  // The agent's live activity shows under the latest run of its task.
  const lastRunOfTask = useMemo(() => new Map(runs.flatMap((run) => (run.taskId ? [[run.taskId, run.key] as const] : []))), [runs]);
  const waiting = tasks.some((t) => t.status === 'WAITING_FOR_USER');
  const announcements = useAnnouncements(messages, historyLoaded);
  const unreadNote = useUnreadAnnouncement(unreadCount, unreadCountKnown);

  // New agent messages change task states: re-read them.
  const lastPosition = messages.at(-1)?.position ?? 0;
  useEffect(() => {
    if (lastPosition > 0) refresh();
  }, [lastPosition, refresh]);

  // Keep the newest message in view.
  const entryCount = runs.reduce((n, r) => n + r.entries.length, 0);
  useEffect(() => {
    feedRef.current?.scrollTo({ top: feedRef.current.scrollHeight });
  }, [entryCount]);

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

  const choose = useCallback(
    async (entry: AgentEntry, choice: MessageChoice) => {
      if (!entry.taskId) return;
      // The buttons close once chosen: focus moves on first, so it is never dropped to <body>.
      focusComposer();
      setChoiceError(null);
      setPendingChoice({ messageId: entry.message.id, value: choice.value });
      const sent = await sendToAgent(choice.value, entry.taskId);
      if (!sent.ok) {
        setPendingChoice(null);
        setChoiceError(sent.error);
        return;
      }
      refresh();
    },
    [refresh],
  );

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
          <span className={styles.badge}>
            <span data-testid="unread-badge">{unreadCount}</span>
            <span className={styles.visuallyHidden}> unread</span>
          </span>
          <span className={styles.visuallyHidden} role="status" data-testid="unread-announcement">
            {unreadNote}
          </span>
          <button
            type="button"
            // Not `disabled`: a button that disables itself under the focus drops it to <body>.
            aria-disabled={unreadCount === 0}
            onClick={() => unreadCount > 0 && void markAllRead()}
          >
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

      <main className={styles.feed} ref={feedRef}>
        <h2 className={styles.visuallyHidden}>Conversation</h2>
        <UrgentBanner messages={messages} onRead={(ids) => void markRead(ids)} />
        {/* The one live region of the conversation: only messages that arrive after the history, never the history or a regrouping. */}
        <div role="log" aria-label="New messages" className={styles.visuallyHidden} data-testid="announcements">
          {announcements.map((a) => (
            <p key={a.key}>{a.text}</p>
          ))}
        </div>
        {runs.length === 0 && <p className={styles.empty}>No messages yet. Ask the agent to book a meeting below.</p>}
        {runs.length > 0 && (
          <ol className={styles.runs} aria-label="Conversation">
            {runs.map((run) => {
              const task = run.taskId ? tasksById.get(run.taskId) : undefined;
              return (
                <li key={run.key} className={`${styles.run} ${run.taskId ? styles.taskRun : ''}`} data-testid="run">
                  <ol className={styles.messages}>
                    {run.entries.map((entry) =>
                      entry.kind === 'user' ? (
                        <UserMessageItem key={entry.key} entry={entry} timeZone={timeZone} />
                      ) : (
                        <AgentMessageItem
                          key={entry.key}
                          entry={entry}
                          timeZone={timeZone}
                          pending={pendingChoice?.messageId === entry.message.id ? pendingChoice.value : null}
                          onChoose={(e, c) => void choose(e, c)}
                        />
                      ),
                    )}
                  </ol>
                  {run.taskId && lastRunOfTask.get(run.taskId) === run.key && <AgentActivity activity={activities[run.taskId]} />}
                  {task && (
                    <button type="button" className={`${styles.linkButton} ${styles.historyLink}`} onClick={() => setHistoryTask(task.id)}>
                      History<span className={styles.visuallyHidden}> of “{task.request}”</span>
                    </button>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </main>

      <footer className={styles.footer}>
        {working && (
          <p className={styles.working} role="status" data-testid="agent-working">
            <span className={styles.dots} aria-hidden="true" /> The agent is working…
          </p>
        )}
        <p role="alert" className={styles.composerError} data-testid="choice-error">
          {choiceError}
        </p>
        <Composer onSent={refresh} waiting={waiting} />
      </footer>

      {historyTask && (
        <TaskHistory
          taskId={historyTask}
          request={tasksById.get(historyTask)?.request}
          timeZone={timeZone}
          onClose={() => setHistoryTask(null)}
        />
      )}
    </div>
  );
}
