import type { ShownActivity } from '@/lib/realtime/client/activity-store';
import styles from './attachments.module.css';

/** The agent's live activity under its task ("Checking availability…"), with a subtle pulse. */
export function AgentActivity({ activity }: { activity: ShownActivity | undefined }) {
  if (!activity) return null;
  return (
    <p className={styles.activity} role="status" aria-live="polite" data-testid="agent-activity" data-state={activity.state}>
      <span className={styles.pulse} aria-hidden="true" />
      {activity.label}
    </p>
  );
}
