'use client';

import { useState, type FormEvent } from 'react';
import styles from './chat.module.css';

/** The request box: sends to the agent's task API with the browser's time zone. */
export function Composer({ onSent, waitingTaskId }: { onSent: () => void; waitingTaskId?: string }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const request = text.trim();
    if (!request) return;
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/scheduling-agent/tasks', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ request, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
        setError(body?.error?.message ?? 'Could not send your request.');
        return;
      }
      setText('');
      onSent();
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className={styles.composer} onSubmit={submit}>
      <label htmlFor="composer-input" className={styles.visuallyHidden}>
        {waitingTaskId ? 'Answer the agent' : 'Ask the scheduling agent'}
      </label>
      <input
        id="composer-input"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={waitingTaskId ? 'Answer the agent…' : 'e.g. book 30 min with Dana tomorrow at 3pm'}
        maxLength={2000}
        autoComplete="off"
      />
      <button type="submit" disabled={busy || text.trim() === ''}>
        Send
      </button>
      {error && (
        <p role="alert" className={styles.composerError}>
          {error}
        </p>
      )}
    </form>
  );
}
