'use client';

import { useState, type FormEvent } from 'react';
import { COMPOSER_INPUT_ID, focusComposer, sendToAgent } from './send-request';
import styles from './chat.module.css';

/**
 * The message box. The Send button is never `disabled` (a disabled button under the focus drops
 * it to <body>); it says it has nothing to send with aria-disabled, and focus stays in the box.
 */
export function Composer({ onSent, waiting }: { onSent: () => void; waiting: boolean }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const empty = text.trim() === '';

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const request = text.trim();
    if (!request || busy) return;
    setBusy(true);
    setError(null);
    const sent = await sendToAgent(request);
    setBusy(false);
    if (!sent.ok) {
      setError(sent.error);
      return;
    }
    setText('');
    onSent();
    focusComposer();
  }

  return (
    <form className={styles.composer} onSubmit={submit}>
      <label htmlFor={COMPOSER_INPUT_ID} className={styles.visuallyHidden}>
        {waiting ? 'Answer the agent' : 'Ask the scheduling agent'}
      </label>
      <input
        id={COMPOSER_INPUT_ID}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={waiting ? 'Answer the agent…' : 'e.g. book 30 min with Dana tomorrow at 3pm'}
        maxLength={2000}
        autoComplete="off"
        aria-describedby={error ? 'composer-error' : undefined}
      />
      <button type="submit" aria-disabled={busy || empty}>
        Send
      </button>
      <p id="composer-error" role="alert" className={styles.composerError}>
        {error}
      </p>
    </form>
  );
}
