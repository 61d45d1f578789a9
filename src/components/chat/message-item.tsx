'use client';

import { AttachmentChips } from './attachment-chips';
import type { ClientChatMessage } from '@/lib/realtime/client/types';
import type { MessageChoice } from '@/lib/schemas/chat-messages';
import { MESSAGE_KINDS } from './message-kinds';
import { PriorityBadge } from './priority-badge';
import { TimeStamp } from './time-format';
import type { AgentEntry, UserEntry } from './timeline';
import styles from './chat.module.css';

/**
 * One item of the conversation. `MessageBody` is where a message's content is drawn: other
 * features (priority badge, attachment chips, ...) slot in there without touching the list.
 */

export function MessageBody({ message }: { message: ClientChatMessage }) {
  return (
    <p className={styles.content} data-testid="message-content">
      {message.content}
    </p>
  );
}

/** The buttons of an offer; each sends its value as the user's reply to the task. */
function ChoiceButtons({
  entry,
  pending,
  onChoose,
}: {
  entry: AgentEntry;
  pending: string | null;
  onChoose: (choice: MessageChoice) => void;
}) {
  const chosen = entry.chosen ?? pending;
  const closed = !entry.open || pending !== null;
  return (
    <div className={styles.choices} role="group" aria-label="Choose an answer" data-testid="choices" data-open={!closed}>
      {entry.choices.map((choice) => {
        const picked = chosen !== null && choice.value === chosen;
        return (
          <button
            key={choice.value}
            type="button"
            className={`${styles.choice} ${picked ? styles.picked : ''}`}
            disabled={closed}
            aria-pressed={closed ? picked : undefined}
            onClick={() => onChoose(choice)}
          >
            {picked && <span aria-hidden="true">✓ </span>}
            {choice.label}
          </button>
        );
      })}
    </div>
  );
}

export function AgentMessageItem({
  entry,
  timeZone,
  pending,
  onChoose,
}: {
  entry: AgentEntry;
  timeZone: string;
  pending: string | null;
  onChoose: (entry: AgentEntry, choice: MessageChoice) => void;
}) {
  const { message } = entry;
  const kind = MESSAGE_KINDS[message.type];
  return (
    <li
      className={`${styles.message} ${styles.agent} ${styles[kind.className]} ${message.read ? '' : styles.unread}`}
      data-message-id={message.id}
      data-type={message.type}
      data-read={message.read}
      data-priority={message.priority}
      data-testid="agent-message"
    >
      <span className={styles.icon} aria-hidden="true">
        {kind.icon}
      </span>
      <div className={styles.body}>
        <div className={styles.meta}>
          <span className={styles.kind}>{kind.label}</span>
          <PriorityBadge priority={message.priority} />
          <TimeStamp iso={message.createdAt} timeZone={timeZone} />
          {!message.read && <span className={styles.newTag}>new</span>}
        </div>
        <MessageBody message={message} />
        <AttachmentChips attachments={message.attachments} />
        {entry.choices.length > 0 && <ChoiceButtons entry={entry} pending={pending} onChoose={(c) => onChoose(entry, c)} />}
      </div>
    </li>
  );
}

/** What the user said: on the other side, plain. */
export function UserMessageItem({ entry, timeZone }: { entry: UserEntry; timeZone: string }) {
  return (
    <li className={`${styles.message} ${styles.mine}`} data-testid="user-message">
      <div className={styles.body}>
        <div className={styles.meta}>
          <span className={styles.kind}>You</span>
          <TimeStamp iso={entry.at} timeZone={timeZone} />
        </div>
        <p className={styles.content} data-testid="message-content" data-said={entry.label ? entry.text : undefined}>
          {entry.label ?? entry.text}
        </p>
      </div>
    </li>
  );
}
