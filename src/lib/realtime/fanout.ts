import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';
import { offShutdown, onShutdown } from '@/lib/runtime/shutdown';
import { deliveryStats, receive, resyncAll, type DeliveryStats } from './delivery';
import * as hub from './hub';
import type { HubSubscriber } from './hub';
import { ListenConnection, type ListenerState } from './listen-connection';
import { RedisSubscription, stopRedisPublisher } from './redis-fanout';

/**
 * Cross-instance fan-out of "something changed for user X", in three parts:
 *   - notify-announcer.ts, the sending side: NOTIFY (FANOUT=postgres) or a Redis PUBLISH
 *     (FANOUT=redis) after the commit (grouped), or on PGlite local delivery directly;
 *   - listen-connection.ts / redis-fanout.ts, the receiving side: one LISTEN connection or one
 *     Redis subscriber connection per process, reconnecting with backoff;
 *   - delivery.ts: loads the rows for a user's local subscribers and hands them out.
 * This module wires them: a local subscriber starts the LISTEN connection, and every
 * (re)connection re-syncs every local subscriber from its cursor, exactly as if a notification
 * had arrived, so messages committed while the connection was down are read from the table.
 */

export { announceEphemeral, announceMessage, announceRead } from './notify-announcer';
export { requestLoad } from './delivery';
export { NOTIFY_CHANNEL } from './notification';
export type { ListenerState } from './listen-connection';

export interface FanoutStatus extends DeliveryStats {
  /** `idle` until the first subscriber on PostgreSQL or Redis (always `idle` on PGlite without Redis). */
  listener: ListenerState;
  /** Successful LISTEN connections so far (more than 1 means it reconnected). */
  connects: number;
}

/** The receiving side of either transport. */
interface Listener {
  readonly state: ListenerState;
  start(): void;
  stop(): Promise<void>;
}

interface ListenerSlot {
  listener?: Listener;
  /** What the listener listens to (the pool, or the Redis URL): a change replaces it. */
  source?: unknown;
  connects: number;
}

// One LISTEN connection per process, not per bundle.
const listenerSlot = processGlobal<ListenerSlot>('fanout.listener');
const slot = (): ListenerSlot => listenerSlot.getOrCreate(() => ({ connects: 0 }));

/**
 * Starts the listener if it is not running: the Redis subscriber with FANOUT=redis, else the
 * LISTEN connection on PostgreSQL (on PGlite without Redis there is nothing to start).
 */
async function ensureListener(): Promise<void> {
  const env = getEnv();
  const handlers = {
    onNotification: receive,
    onListening: () => {
      slot().connects++;
      resyncAll();
    },
  };
  let source: unknown;
  let create: () => Listener;
  if (env.FANOUT === 'redis' && env.REDIS_URL) {
    const url = env.REDIS_URL;
    source = url;
    create = () => new RedisSubscription(url, handlers);
  } else {
    const database = await getDatabase();
    if (database.kind !== 'postgres') return;
    // The process-wide database can be replaced (tests, CLIs); listen where the queries go.
    source = database.pool;
    create = () => new ListenConnection(database.pool, handlers);
  }
  const current = slot();
  if (current.listener && current.source !== source) {
    void current.listener.stop();
    current.listener = undefined;
  }
  if (!current.listener) {
    current.listener = create();
    current.source = source;
    onShutdown('fanout-listener', 'connections', stopFanout);
  }
  current.listener.start();
}

/**
 * Registers a local subscriber for `userId` (see hub.subscribe) and, on PostgreSQL, makes sure
 * this process listens for notifications. Returns the unsubscribe function.
 *
 * The subscription is in place when this returns; the LISTEN connection may still be opening,
 * which loses nothing: its first connection re-syncs every subscriber from its cursor.
 */
export function subscribe(userId: string, subscriber: HubSubscriber): () => void {
  const unsubscribe = hub.subscribe(userId, subscriber);
  ensureListener().catch((err: unknown) => {
    getLogger().warn({ err: rootCauseMessage(err) }, 'could not start listening for chat notifications');
  });
  return unsubscribe;
}

/** The fan-out's state (LISTEN connection, reconnects, re-syncs, loads), for tests and diagnostics. */
export function fanoutStatus(): FanoutStatus {
  const { listener, connects } = slot();
  return { listener: listener?.state ?? 'idle', connects, ...deliveryStats() };
}

/** Closes the LISTEN connection (shutdown, tests). A later `subscribe` opens a new one. */
export async function stopFanout(): Promise<void> {
  const current = slot();
  const listener = current.listener;
  current.listener = undefined;
  offShutdown('fanout-listener');
  await Promise.all([listener?.stop(), stopRedisPublisher()]);
}
