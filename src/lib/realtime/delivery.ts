import { getDb } from '@/lib/db/client';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import { processGlobal } from '@/lib/runtime/process-global';
import * as hub from './hub';
import type { Notification } from './notification';
import type { ReadChange } from './protocol';

/**
 * Local delivery: turns "something changed for user X" (a notification from the LISTEN
 * connection, or on PGlite from this process) into rows and events for X's local subscribers.
 * A notification for a user with local subscribers schedules one load of that user's messages
 * after the lowest cursor among them: one query per user per burst of notifications, however
 * many streams the user has open; each subscriber keeps the rows past its own cursor.
 */

/** Rows per query when loading a user's new messages. */
const LOAD_PAGE = 500;

/** A user's load loop: whether to run another pass, and read changes waiting for the next pass. */
interface UserLoad {
  again: boolean;
  reads: ReadChange[];
}

export interface DeliveryStats {
  /** Re-syncs of all local subscribers after a (re)connection. */
  resyncs: number;
  /** Notifications received and understood. */
  notifications: number;
  /** Queries run to load new messages for live subscribers (one per user per burst, per page). */
  loadQueries: number;
  /** Users with a load pass running right now. */
  loadsInFlight: number;
}

interface DeliveryState {
  loads: Map<string, UserLoad>;
  stats: Omit<DeliveryStats, 'loadsInFlight'>;
}

// Process-wide for the same reason as the hub: one load loop per user, whichever bundle asks.
const deliveryState = processGlobal<DeliveryState>('fanout.delivery');
const state = (): DeliveryState =>
  deliveryState.getOrCreate(() => ({ loads: new Map(), stats: { resyncs: 0, notifications: 0, loadQueries: 0 } }));

/** Counters of the delivery loop, for tests and diagnostics. */
export function deliveryStats(): DeliveryStats {
  const { loads, stats } = state();
  return { ...stats, loadsInFlight: loads.size };
}

/**
 * Runs a load pass for `userId` soon, or, when one is already running, makes it run once more
 * afterwards: any number of notifications during a pass cost one more query, not one each.
 *
 * A read change given here is handed to the subscribers at the end of the next pass. That pass
 * starts after the read was committed, so every row it delivers already carries the new read
 * state, and no row loaded before the read can reach a client after the `read` event (which
 * would bring a stale unread badge back).
 */
export function requestLoad(userId: string, read?: ReadChange): void {
  const { loads } = state();
  const running = loads.get(userId);
  if (running) {
    running.again = true;
    if (read) running.reads.push(read);
    return;
  }
  const load: UserLoad = { again: true, reads: read ? [read] : [] };
  loads.set(userId, load);
  void (async () => {
    try {
      while (load.again) {
        load.again = false;
        // Only the reads that arrived before this pass starts: later ones wait for the next pass.
        const reads = load.reads.splice(0);
        await loadPass(userId, load);
        for (const change of reads) {
          for (const subscriber of hub.subscribersOf(userId)) subscriber.onEvent({ kind: 'read', ...change });
        }
      }
    } catch (err) {
      // Without the rows, live subscribers would silently fall behind (and reads could overtake
      // rows). Ending every stream of the user makes the clients reconnect with Last-Event-ID
      // and replay from the table, read state included, once it answers again.
      getLogger().warn({ err: rootCauseMessage(err), userId }, 'loading new chat messages for live streams failed');
      for (const subscriber of hub.subscribersOf(userId)) subscriber.onEvent({ kind: 'reset', reason: 'load failed' });
    } finally {
      loads.delete(userId);
    }
  })();
}

/**
 * Loads the user's messages after the lowest live cursor and hands them to every live subscriber.
 * A subscriber whose cursor is below the range's start (it went live after the pass began) is
 * skipped and the pass repeated, because handing it rows that start past its cursor would leave a gap.
 */
async function loadPass(userId: string, load: UserLoad): Promise<void> {
  const cursors = hub
    .subscribersOf(userId)
    .map((s) => s.cursor())
    .filter((c): c is number => c !== null);
  if (cursors.length === 0) return;
  let from = Math.min(...cursors);
  const db = await getDb();
  for (;;) {
    state().stats.loadQueries++;
    const rows = await chatMessageRepository.selectMessagesAfter(db, { userId, afterPosition: from, limit: LOAD_PAGE });
    for (const subscriber of hub.subscribersOf(userId)) {
      const cursor = subscriber.cursor();
      if (cursor === null) continue;
      if (cursor < from) {
        load.again = true;
        continue;
      }
      if (rows.length > 0) subscriber.deliver(rows);
    }
    if (rows.length < LOAD_PAGE) return;
    from = rows[rows.length - 1]!.position;
  }
}

/** Hands one notification (from LISTEN or, on PGlite, from this process) to the local subscribers. */
export function dispatch(notification: Notification): void {
  const { userId } = notification;
  if (hub.subscriberCount(userId) === 0) return;
  if (notification.kind === 'ephemeral') {
    const { event, data } = notification;
    for (const subscriber of hub.subscribersOf(userId)) subscriber.onEvent({ kind: 'ephemeral', event, data });
    return;
  }
  if (notification.kind === 'read') {
    requestLoad(
      userId,
      'upTo' in notification ? { upTo: notification.upTo } : { ids: notification.ids, positions: notification.positions },
    );
    return;
  }
  hintAndLoad(userId);
}

/** A notification heard on the LISTEN connection, counted and dispatched. */
export function receive(notification: Notification): void {
  state().stats.notifications++;
  dispatch(notification);
}

/** Tells subscribers still replaying to look again, and loads for the live ones. */
function hintAndLoad(userId: string): void {
  for (const subscriber of hub.subscribersOf(userId)) {
    if (subscriber.cursor() === null) subscriber.onEvent({ kind: 'message' });
  }
  requestLoad(userId);
}

/** After a (re)connection: every local subscriber reloads from its cursor (what the gap may have hidden). */
export function resyncAll(): void {
  state().stats.resyncs++;
  for (const userId of hub.subscribedUsers()) hintAndLoad(userId);
}
