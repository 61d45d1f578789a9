'use client';

import { AttachmentChips } from './attachment-chips';
import { useEffect, useRef, useState } from 'react';
import type { TaskMessage, TaskMessagesResponse } from '@/lib/schemas/chat-messages';
import { MESSAGE_KINDS } from './message-kinds';
import { TimeStamp } from './time-format';
import styles from './chat.module.css';

/** A task's whole history from the guide's endpoint, GET /api/chat-messages/{taskId}, in a modal dialog. */
export function TaskHistory({
  taskId,
  request,
  timeZone,
  onClose,
}: {
  taskId: string;
  request?: string;
  timeZone: string;
  onClose: () => void;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [messages, setMessages] = useState<TaskMessage[] | null>(null);

  useEffect(() => {
    dialogRef.current?.showModal();
    let cancelled = false;
    fetch(`/api/chat-messages/${encodeURIComponent(taskId)}`, { cache: 'no-store' })
      .then((r) => (r.ok ? (r.json() as Promise<Pick<TaskMessagesResponse, 'messages'>>) : { messages: [] }))
      .then((body) => !cancelled && setMessages(body.messages))
      .catch(() => !cancelled && setMessages([]));
    return () => {
      cancelled = true;
    };
  }, [taskId]);

  return (
    <dialog ref={dialogRef} className={styles.dialog} onClose={onClose} aria-labelledby="history-title">
      <h2 id="history-title">Task history</h2>
      {request && <p className={styles.answers}>“{request}”</p>}
      {messages === null ? (
        <p>Loading…</p>
      ) : (
        <ol className={styles.historyList}>
          {messages.map((m) => (
            <li key={m.id} data-type={m.type}>
              <span aria-hidden="true">{MESSAGE_KINDS[m.type].icon}</span> <strong>{MESSAGE_KINDS[m.type].label}</strong> {m.content}{' '}
              <TimeStamp iso={m.createdAt} timeZone={timeZone} />
              {m.read ? '' : ' (unread)'}
              <AttachmentChips attachments={m.attachments} />
            </li>
          ))}
        </ol>
      )}
      <form method="dialog">
        <button type="submit" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}
