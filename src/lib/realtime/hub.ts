import type { ChatMessageRow } from '@/lib/db/schema';
import { processGlobal } from '@/lib/runtime/process-global';
import type { ReadChange } from './protocol';

/**
 * The in-process hub: which local subscribers (open SSE streams) each user has. It holds no
 * messages and does no I/O; the fan-out's delivery (delivery.ts) decides what to load and hands
 * rows and events to the subscribers listed here.
 *
 * The registry is process-wide because Next.js may load this module more than once
 * (instrumentation and route bundles); two registries would split one user's streams between
 * them and the per-user stream limit would not hold.
 */

/** What the fan-out tells a subscriber besides new rows. */
export type HubEvent =
  /** A message was committed; for a subscriber still replaying on its own (cursor null). */
  | { kind: 'message' }
  /** Messages of the user were marked read (on any instance). */
  | ({ kind: 'read' } & ReadChange)
  /** Live delivery broke (a load failed): the subscriber should end so its client resumes by cursor. */
  | { kind: 'reset'; reason: string }
  /** A small event that is not stored (announceEphemeral): sent to live subscribers, dropped by the others. */
  | { kind: 'ephemeral'; event: string; data: Record<string, unknown> };

/** One local consumer of a user's messages, typically one SSE stream. */
export interface HubSubscriber {
  /**
   * The last position this subscriber holds, or null while it is catching up by itself
   * (replaying from the database). Subscribers with a cursor receive rows through `deliver`;
   * those without only get `message` hints and must look again before going live.
   */
  cursor(): number | null;
  /**
   * Committed rows of the user in position order, covering every committed message after the
   * subscriber's cursor up to the last row (the fan-out guarantees the range starts at or before
   * the cursor). Rows at or below the cursor must be ignored.
   */
  deliver(rows: readonly ChatMessageRow[]): void;
  /** Read changes, hints and resets. */
  onEvent(event: HubEvent): void;
}

interface HubState {
  byUser: Map<string, Set<HubSubscriber>>;
}

const hubState = processGlobal<HubState>('hub');
const state = (): HubState => hubState.getOrCreate(() => ({ byUser: new Map() }));

/**
 * Adds `subscriber` to `userId`'s set. Returns the unsubscribe function, which is idempotent.
 * Registration is synchronous so a caller can check `subscriberCount` and subscribe in the same
 * tick without another request slipping in between (the per-user stream limit relies on it).
 */
export function subscribe(userId: string, subscriber: HubSubscriber): () => void {
  const { byUser } = state();
  let set = byUser.get(userId);
  if (!set) {
    set = new Set();
    byUser.set(userId, set);
  }
  set.add(subscriber);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    const current = byUser.get(userId);
    if (!current) return;
    current.delete(subscriber);
    // Drop empty sets so a long-running instance does not keep one entry per user ever seen.
    if (current.size === 0) byUser.delete(userId);
  };
}

/** The user's current subscribers (a snapshot: safe to iterate while subscribers leave). */
export function subscribersOf(userId: string): HubSubscriber[] {
  const set = state().byUser.get(userId);
  return set ? [...set] : [];
}

/** How many subscribers the user has on this instance (for the per-user limit and for tests). */
export function subscriberCount(userId: string): number {
  return state().byUser.get(userId)?.size ?? 0;
}

/** Every subscriber of every user on this instance (a snapshot). */
export function allSubscribers(): HubSubscriber[] {
  return [...state().byUser.values()].flatMap((set) => [...set]);
}

/** The users with at least one subscriber on this instance. */
export function subscribedUsers(): string[] {
  return [...state().byUser.keys()];
}
