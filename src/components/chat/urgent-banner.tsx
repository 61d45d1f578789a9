import type { ClientChatMessage } from '@/lib/realtime/client/types';
import styles from './priority.module.css';

/**
 * A banner over the conversation while an URGENT message is unread: the oldest one's text, how
 * many there are, and a button that marks it read (the only way besides "Mark all read": "Mark
 * read when seen" never marks an URGENT message). `role="alert"`, `data-testid="urgent-banner"`.
 */
export function UrgentBanner({ messages, onRead }: { messages: ClientChatMessage[]; onRead: (ids: string[]) => void }) {
  const urgent = messages.filter((m) => m.priority === 'URGENT' && !m.read);
  const first = urgent[0];
  if (!first) return null;
  const more = urgent.length - 1;
  return (
    <div className={styles.banner} role="alert" data-testid="urgent-banner" data-message-id={first.id}>
      <span aria-hidden="true">‼</span>
      <span className={styles.bannerText}>
        Urgent: {first.content}
        {more > 0 ? ` (+${more} more urgent)` : ''}
      </span>
      <button type="button" className={styles.bannerButton} onClick={() => onRead([first.id])}>
        Mark urgent read
      </button>
    </div>
  );
}
