import type { ClientChatMessage } from '@/lib/realtime/client/types';
import styles from './priority.module.css';

const MARKS: Partial<Record<ClientChatMessage['priority'], { text: string; className: string; icon: string }>> = {
  HIGH: { text: 'High priority', className: styles.high!, icon: '▲' },
  URGENT: { text: 'Urgent', className: styles.urgent!, icon: '‼' },
};

/**
 * Marks a HIGH or URGENT message with a coloured pill that also says it in words (nothing for
 * LOW and NORMAL). `data-testid="priority-badge"`, `data-priority` for tests and the rewrite.
 */
export function PriorityBadge({ priority }: { priority: ClientChatMessage['priority'] }) {
  const mark = MARKS[priority];
  if (!mark) return null;
  return (
    <span className={`${styles.badge} ${mark.className}`} data-testid="priority-badge" data-priority={priority}>
      <span aria-hidden="true">{mark.icon}</span>
      {mark.text}
    </span>
  );
}
