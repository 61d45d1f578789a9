import pg from 'pg';
import { z } from 'zod';
import { getDatabase, getDb } from '@/lib/db/client';
import { getLogger } from '@/lib/log/logger';
import { selectMessagesAfter } from '@/lib/services/chat-message.queries';
import * as hub from './hub';
import type { HubSubscriber, ReadChange } from './hub';

/**
 * Cross-instance fan-out of "something changed for user X".
 *
 * Sending side (`announceMessage`, `announceRead`), run after the commit by the publish step:
 *   - PostgreSQL: `pg_notify('chat_messages', '{"userId":..,"position":..}')`; notifications carry
 *     ids and positions only, never content (NOTIFY payloads are visible to every listener and
 *     capped at 8000 bytes).
 *   - PGlite: there is only this process, so the local hub is signalled directly.
 *
 * Receiving side: one dedicated LISTEN connection per process (a `pg.Client`, not from the pool,
 * so it is never handed to a query and never recycled), opened when the first local subscriber
 * appears. A notification for a user with local subscribers schedules one load of that user's
 * messages after the lowest cursor among them: one query per user per burst of notifications,
 * however many streams the user has open; each subscriber keeps the rows past its own cursor.
 *
 * Nothing is lost while the LISTEN connection is down: every (re)connection is followed by a
 * re-sync in which every local subscriber is loaded from its cursor, exactly as if a
 * notification had arrived, so messages committed during the gap are read from the table.
 */

/** The NOTIFY channel for messages and read changes. */
export const NOTIFY_CHANNEL = 'chat_messages';

/** Rows per query when loading a user's new messages. */
const LOAD_PAGE = 500;
/** NOTIFY payloads must stay under 8000 bytes; read changes are split to stay well below. */
const READ_IDS_PER_NOTIFY = 50;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;
/** A LISTEN connection that silently died (half-open TCP) is only noticed by using it. */
const PING_INTERVAL_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;

const Notification = z.union([
  z.object({ userId: z.string().min(1), kind: z.literal('read'), upTo: z.number().int().min(0) }),
  z.object({
    userId: z.string().min(1),
    kind: z.literal('read'),
    ids: z.array(z.string()),
    positions: z.array(z.number().int()),
  }),
  z.object({ userId: z.string().min(1), position: z.number().int().min(0), kind: z.undefined().optional() }),
]);
type Notification = z.infer<typeof Notification>;

/** The LISTEN connection's state, for tests and diagnostics. */
export type ListenerState = 'idle' | 'connecting' | 'listening' | 'reconnecting' | 'stopped';

export interface FanoutStatus {
  /** `idle` until the first subscriber on PostgreSQL (always `idle` on PGlite). */
  listener: ListenerState;
  /** Successful LISTEN connections so far (more than 1 means it reconnected). */
  connects: number;
  /** Re-syncs of all local subscribers after a (re)connection. */
  resyncs: number;
  /** Notifications received and understood. */
  notifications: number;
  /** Queries run to load new messages for live subscribers (one per user per burst, per page). */
  loadQueries: number;
  /** Users with a load pass running right now. */
  loadsInFlight: number;
}

interface FanoutState {
  listener?: Listener;
  loads: Map<string, UserLoad>;
  stats: Omit<FanoutStatus, 'listener' | 'loadsInFlight'>;
}

// On globalThis for the same reason as the hub: one LISTEN connection per process, not per bundle.
const globalForFanout = globalThis as unknown as { __chatFanout?: FanoutState };

function fanoutState(): FanoutState {
  globalForFanout.__chatFanout ??= { loads: new Map(), stats: { connects: 0, resyncs: 0, notifications: 0, loadQueries: 0 } };
  return globalForFanout.__chatFanout;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Receiving side: local delivery.

/** A user's load loop: whether to run another pass, and read changes waiting for the next pass. */
interface UserLoad {
  again: boolean;
  reads: ReadChange[];
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
  const { loads } = fanoutState();
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
      getLogger().warn({ err: errorMessage(err), userId }, 'loading new chat messages for live streams failed');
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
  const cursors = hub.subscribersOf(userId).map((s) => s.cursor()).filter((c): c is number => c !== null);
  if (cursors.length === 0) return;
  let from = Math.min(...cursors);
  const db = await getDb();
  for (;;) {
    fanoutState().stats.loadQueries++;
    const rows = await selectMessagesAfter(db, userId, from, LOAD_PAGE);
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
function dispatch(notification: Notification): void {
  const { userId } = notification;
  if (hub.subscriberCount(userId) === 0) return;
  if (notification.kind === 'read') {
    requestLoad(userId, 'upTo' in notification ? { upTo: notification.upTo } : { ids: notification.ids, positions: notification.positions });
    return;
  }
  hintAndLoad(userId, notification.position);
}

/** Tells subscribers still replaying to look again, and loads for the live ones. */
function hintAndLoad(userId: string, position: number): void {
  for (const subscriber of hub.subscribersOf(userId)) {
    if (subscriber.cursor() === null) subscriber.onEvent({ kind: 'message', position });
  }
  requestLoad(userId);
}

/** After a (re)connection: every local subscriber reloads from its cursor (what the gap may have hidden). */
function resyncAll(): void {
  fanoutState().stats.resyncs++;
  for (const userId of hub.subscribedUsers()) hintAndLoad(userId, 0);
}

function onPayload(payload: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    parsed = undefined;
  }
  const notification = Notification.safeParse(parsed);
  if (!notification.success) {
    // Someone else may NOTIFY on this channel; never let a stray payload break delivery.
    getLogger().warn({ channel: NOTIFY_CHANNEL }, 'ignoring a malformed notification');
    return;
  }
  fanoutState().stats.notifications++;
  dispatch(notification.data);
}

// ---------------------------------------------------------------------------------------------
// Receiving side: the LISTEN connection.

/** One dedicated LISTEN connection that reconnects with capped exponential backoff. */
class Listener {
  state: ListenerState = 'idle';
  private client?: pg.Client;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;

  constructor(readonly pool: pg.Pool) {}

  start(): void {
    if (this.state === 'idle') void this.connect();
  }

  /** Read through a getter: TypeScript would otherwise keep the narrowing from before an await. */
  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.state = this.attempt === 0 ? 'connecting' : 'reconnecting';
    const client = new pg.Client({
      connectionString: this.pool.options.connectionString,
      ssl: this.pool.options.ssl,
      application_name: 'chat-fanout-listener',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    this.client = client;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      clearInterval(this.pingTimer);
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.client === client) this.client = undefined;
      if (this.stopped) return;
      getLogger().warn({ err: errorMessage(err), attempt: this.attempt }, 'chat LISTEN connection lost; reconnecting');
      this.scheduleReconnect();
    };
    // Without an 'error' listener a dropped connection (PostgreSQL restart) would crash the process.
    client.on('error', fail);
    client.on('end', () => fail(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === NOTIFY_CHANNEL && message.payload) onPayload(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (err) {
      fail(err);
      return;
    }
    if (failed) return;
    if (this.stopped) {
      client.end().catch(() => {});
      return;
    }
    this.state = 'listening';
    this.attempt = 0;
    fanoutState().stats.connects++;
    this.pingTimer = setInterval(() => {
      client.query('SELECT 1').catch(fail);
    }, PING_INTERVAL_MS);
    this.pingTimer.unref();
    // Only now is every later commit announced to us; whatever committed before (including
    // during a gap) is picked up by loading each subscriber from its cursor.
    resyncAll();
  }

  private scheduleReconnect(): void {
    this.state = 'reconnecting';
    // Jittered so that many instances do not all reconnect at the same instant after a restart.
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.attempt);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('notification');
      await client.end().catch(() => {});
    }
  }
}

/** Starts the LISTEN connection on PostgreSQL if it is not running (on PGlite there is nothing to start). */
async function ensureListener(): Promise<void> {
  const database = await getDatabase();
  if (database.kind !== 'postgres') return;
  const state = fanoutState();
  // The process-wide database can be replaced (tests, CLIs); listen where the queries go.
  if (state.listener && state.listener.pool !== database.pool) {
    void state.listener.stop();
    state.listener = undefined;
  }
  state.listener ??= new Listener(database.pool);
  state.listener.start();
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
    getLogger().warn({ err: errorMessage(err) }, 'could not start listening for chat notifications');
  });
  return unsubscribe;
}

/** The fan-out's state (LISTEN connection, reconnects, re-syncs), for tests and diagnostics. */
export function fanoutStatus(): FanoutStatus {
  const state = fanoutState();
  return { listener: state.listener?.state ?? 'idle', ...state.stats, loadsInFlight: state.loads.size };
}

/** Closes the LISTEN connection (shutdown, tests). A later `subscribe` opens a new one. */
export async function stopFanout(): Promise<void> {
  const state = fanoutState();
  const listener = state.listener;
  state.listener = undefined;
  await listener?.stop();
}

// ---------------------------------------------------------------------------------------------
// Sending side.

async function announce(notification: Notification): Promise<void> {
  const database = await getDatabase();
  if (database.kind === 'postgres') {
    // Every instance, this one included, hears it through its own LISTEN connection.
    await database.pool.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, JSON.stringify(notification)]);
  } else {
    dispatch(notification);
  }
}

interface AnnouncementBatch {
  /** userId -> the highest position committed for that user since the last NOTIFY. */
  positions: Map<string, number>;
  done: Promise<void>;
  settle: (err?: unknown) => void;
}

let nextBatch: AnnouncementBatch | null = null;
let inFlight = 0;
/** NOTIFY round trips under way at once; announcements beyond them share the next one. */
const MAX_NOTIFY_IN_FLIGHT = 4;

function newBatch(): AnnouncementBatch {
  let settle!: (err?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    settle = (err) => (err === undefined ? resolve() : reject(err));
  });
  return { positions: new Map(), done, settle };
}

/**
 * Group commit for message announcements on PostgreSQL: up to MAX_NOTIFY_IN_FLIGHT NOTIFY round
 * trips run at once, and announcements arriving while all are busy collect into one statement
 * (`pg_notify` per user with that user's highest position: listeners load everything after their
 * cursor, so the highest is enough). Few senders go out at once as before; many share round
 * trips instead of each paying one (bench/RESULTS.md, send path).
 */
function pumpAnnouncements(pool: { query: (text: string, values: unknown[]) => Promise<unknown> }): void {
  while (nextBatch && inFlight < MAX_NOTIFY_IN_FLIGHT) {
    const batch = nextBatch;
    nextBatch = null;
    inFlight++;
    const payloads = [...batch.positions].map(([userId, position]) => JSON.stringify({ userId, position }));
    pool
      .query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [NOTIFY_CHANNEL, payloads])
      .then(
        () => batch.settle(),
        (err: unknown) => batch.settle(err ?? new Error('NOTIFY failed')),
      )
      .finally(() => {
        inFlight--;
        pumpAnnouncements(pool);
      });
  }
}

/**
 * Announces a committed message to every instance's live streams. Never throws: the message is
 * stored, and a missed announcement only delays it until the user's next event or the client's
 * next reconnect, both of which read from the table.
 */
export async function announceMessage(userId: string, position: number): Promise<void> {
  try {
    const database = await getDatabase();
    if (database.kind !== 'postgres') {
      dispatch({ userId, position });
      return;
    }
    nextBatch ??= newBatch();
    const batch = nextBatch;
    batch.positions.set(userId, Math.max(batch.positions.get(userId) ?? 0, position));
    pumpAnnouncements(database.pool);
    await batch.done;
  } catch (err) {
    getLogger().error({ err: errorMessage(err), userId, position }, 'chat message NOTIFY failed; streams will catch up on the next event or reconnect');
  }
}

/** Announces a read-state change to every instance's live streams. Never throws (see announceMessage). */
export async function announceRead(userId: string, change: ReadChange): Promise<void> {
  try {
    if ('upTo' in change) {
      await announce({ userId, kind: 'read', upTo: change.upTo });
      return;
    }
    for (let i = 0; i < change.ids.length; i += READ_IDS_PER_NOTIFY) {
      await announce({
        userId,
        kind: 'read',
        ids: change.ids.slice(i, i + READ_IDS_PER_NOTIFY),
        positions: change.positions.slice(i, i + READ_IDS_PER_NOTIFY),
      });
    }
  } catch (err) {
    getLogger().error({ err: errorMessage(err), userId }, 'chat read-state NOTIFY failed');
  }
}
