import type { ActivityPayload, ActivityState } from '@/lib/schemas/activity';

/** An activity the UI shows under its task, until `expiresAt` (client clock, ms). */
export interface ShownActivity {
  taskId: string;
  state: Exclude<ActivityState, 'idle'>;
  label: string;
  /** When the server sent it (ISO). */
  at: string;
  expiresAt: number;
}

/**
 * The agent's live activities the browser shows, one per task. An activity is shown for its
 * `ttlMs` (ACTIVITY_TTL) from when it arrived unless a newer one refreshes it; `idle` clears it,
 * and so does a message of that task created after it (the agent's next word replaces "Booking…").
 * A message created before it (it can arrive after it: activities skip the database) leaves it.
 * Pure: the clock is passed in, so it is tested without waiting.
 */
export class ActivityStore {
  private readonly byTask = new Map<string, ShownActivity>();

  /** Returns whether what is shown changed. */
  apply(activity: ActivityPayload, now: number): boolean {
    const current = this.byTask.get(activity.taskId);
    if (current && Date.parse(current.at) > Date.parse(activity.at)) return false;
    if (activity.state === 'idle') return this.byTask.delete(activity.taskId);
    this.byTask.set(activity.taskId, {
      taskId: activity.taskId,
      state: activity.state,
      label: activity.label,
      at: activity.at,
      expiresAt: now + activity.ttlMs,
    });
    return true;
  }

  /** Clears the activity of each message's task when the message is newer than it. Returns whether anything changed. */
  clearFor(messages: ReadonlyArray<{ taskId: string | null; createdAt: string }>): boolean {
    let changed = false;
    for (const m of messages) {
      if (!m.taskId) continue;
      const current = this.byTask.get(m.taskId);
      if (current && Date.parse(m.createdAt) > Date.parse(current.at)) changed = this.byTask.delete(m.taskId) || changed;
    }
    return changed;
  }

  /** Drops what expired by `now`. Returns whether anything changed. */
  prune(now: number): boolean {
    let changed = false;
    for (const [taskId, shown] of this.byTask) {
      if (shown.expiresAt <= now) changed = this.byTask.delete(taskId) || changed;
    }
    return changed;
  }

  /** The earliest expiry among what is shown (to schedule the next prune), or undefined. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const shown of this.byTask.values()) next = next === undefined ? shown.expiresAt : Math.min(next, shown.expiresAt);
    return next;
  }

  /** What is shown, by task id. */
  snapshot(): Record<string, ShownActivity> {
    return Object.fromEntries(this.byTask);
  }
}
