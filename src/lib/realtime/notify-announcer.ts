import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { AppError, rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { metrics } from '@/lib/metrics';
import { Backoff } from './backoff';
import { dispatch } from './delivery';
import { EPHEMERAL_EVENT_NAME, EPHEMERAL_MAX_BYTES, NOTIFY_CHANNEL, type Notification } from './notification';
import type { ReadChange } from './protocol';
import { redisPublish } from './redis-fanout';

/**
 * The sending end of the fan-out, run after the commit by the publish step:
 *   - FANOUT=postgres on PostgreSQL: `pg_notify('chat_messages', '{"userId":..,"position":..}')`;
 *     every instance, this one included, hears it through its own LISTEN connection;
 *   - FANOUT=redis: PUBLISH on the Redis channel `chat_messages`, heard by every instance's
 *     subscriber connection (redis-fanout.ts);
 *   - PGlite with FANOUT=postgres: there is only this process, so local delivery is told directly.
 */

/** NOTIFY payloads must stay under 8000 bytes; read changes are split to stay well below. */
const READ_IDS_PER_NOTIFY = 50;
/** NOTIFY round trips under way at once; announcements beyond them share the next one. */
const MAX_NOTIFY_IN_FLIGHT = 4;

/**
 * One NOTIFY per payload, in a transaction that commits without waiting for its WAL flush.
 * PostgreSQL serializes every NOTIFY-ing transaction of the cluster on one lock held from before
 * its commit until after it (async.c, PreCommit_Notify), so with synchronous_commit=on each
 * NOTIFY holds that lock through an fsync and the NOTIFYs queue behind each other's fsyncs: on a
 * busy disk that was the fan-out's tail (bench/ANALYSIS.md, fan-out). A notification is not
 * state: the message it announces was committed (and flushed) before, and after a crash every
 * listener re-syncs from its cursor, so the notification's own commit need not be durable.
 */
const NOTIFY_SQL =
  "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)) " +
  'SELECT pg_notify($1, payload) FROM async_commit, unnest($2::text[]) AS payload';

/** Sends payloads to every instance, or null when delivery is local (PGlite, no Redis). */
type Sender = ((payloads: string[]) => Promise<void>) | null;

async function sender(): Promise<Sender> {
  const env = getEnv();
  if (env.FANOUT === 'redis' && env.REDIS_URL) {
    const url = env.REDIS_URL;
    return (payloads) => redisPublish(url, payloads);
  }
  const database = await getDatabase();
  if (database.kind !== 'postgres') return null;
  const pool = database.pool;
  return async (payloads) => {
    await pool.query(NOTIFY_SQL, [NOTIFY_CHANNEL, payloads]);
  };
}

async function announce(notification: Notification): Promise<void> {
  const send = await sender();
  if (send) await send([JSON.stringify(notification)]);
  else dispatch(notification);
}

interface AnnouncementBatch {
  /** userId -> the highest position committed for that user since the last NOTIFY. */
  positions: Map<string, number>;
  done: Promise<void>;
  settle: (err?: unknown) => void;
}

let nextBatch: AnnouncementBatch | null = null;
let inFlight = 0;

/**
 * Users whose message announcement failed, with their highest position, re-announced until one
 * goes through. A stream re-syncs from its cursor whenever its instance's listener (re)connects,
 * but the sending side can fail on its own: a Redis publisher still reconnecting after the
 * subscribers re-synced, a PUBLISH or NOTIFY refused. Without a retry such a message would wait
 * for the user's next event or the client's next reconnect, however long that is.
 */
const missed = new Map<string, number>();
/** Past this many users, further misses are only logged (their streams catch up on their next event or reconnect). */
const MAX_MISSED_USERS = 100_000;
const retryBackoff = new Backoff({ minMs: 250, maxMs: 5_000, jitter: true });
/** About a minute of tries (250 ms doubling to 5 s); then the streams catch up on their next event or reconnect. */
const MAX_RETRIES = 15;
let retryTimer: NodeJS.Timeout | undefined;
/** The transport that failed: tries go through it, never through a database or Redis opened anew. */
let retrySend: ((payloads: string[]) => Promise<void>) | undefined;

function rememberMissed(positions: Map<string, number>, send: (payloads: string[]) => Promise<void>): void {
  retrySend = send;
  let dropped = 0;
  for (const [userId, position] of positions) {
    if (missed.size >= MAX_MISSED_USERS && !missed.has(userId)) dropped++;
    else raise(missed, userId, position);
  }
  if (dropped > 0)
    getLogger().warn({ users: dropped }, 'too many missed chat announcements to retry; those streams catch up on their next event');
  if (retryTimer || missed.size === 0) return;
  if (retryBackoff.attempt >= MAX_RETRIES) {
    getLogger().warn(
      { users: missed.size },
      'gave up sending missed chat announcements; those streams catch up on their next event or reconnect',
    );
    missed.clear();
    retryBackoff.reset();
    return;
  }
  retryTimer = setTimeout(() => {
    retryTimer = undefined;
    void retryMissed();
  }, retryBackoff.next());
  retryTimer.unref();
}

/** Re-announces every missed user's highest position (one batch); a failure schedules the next try. */
async function retryMissed(): Promise<void> {
  const send = retrySend;
  if (!send || missed.size === 0) return;
  const positions = new Map(missed);
  missed.clear();
  let batch!: AnnouncementBatch;
  for (const [userId, position] of positions) batch = queueAnnouncement(userId, position);
  pumpAnnouncements(send);
  try {
    await batch.done;
    retryBackoff.reset();
    getLogger().info({ users: positions.size }, 'missed chat announcements sent again');
  } catch {
    // pumpAnnouncements remembered the failed batch and scheduled the next try.
  }
}

/** Keeps the higher of the position already noted for `userId` and `position`. */
function raise(positions: Map<string, number>, userId: string, position: number): void {
  positions.set(userId, Math.max(positions.get(userId) ?? 0, position));
}

/** Notes the user's position in the batch that goes out next, and returns that batch. */
function queueAnnouncement(userId: string, position: number): AnnouncementBatch {
  nextBatch ??= newBatch();
  raise(nextBatch.positions, userId, position);
  return nextBatch;
}

function newBatch(): AnnouncementBatch {
  let settle!: (err?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    settle = (err) => (err === undefined ? resolve() : reject(err));
  });
  return { positions: new Map(), done, settle };
}

/**
 * Group commit for message announcements: up to MAX_NOTIFY_IN_FLIGHT round trips (NOTIFY
 * statements or Redis pipelines) run at once, and announcements arriving while all are busy
 * collect into one (a notification per user with that user's highest position: listeners load
 * everything after their cursor, so the highest is enough). Few senders go out at once as before;
 * many share round trips instead of each paying one (bench/RESULTS.md, send path).
 */
function pumpAnnouncements(send: (payloads: string[]) => Promise<void>): void {
  while (nextBatch && inFlight < MAX_NOTIFY_IN_FLIGHT) {
    const batch = nextBatch;
    nextBatch = null;
    inFlight++;
    const payloads = [...batch.positions].map(([userId, position]) => JSON.stringify({ userId, position }));
    send(payloads)
      .then(
        () => batch.settle(),
        (err: unknown) => {
          rememberMissed(batch.positions, send);
          batch.settle(err ?? new Error('announcement failed'));
        },
      )
      .finally(() => {
        inFlight--;
        pumpAnnouncements(send);
      });
  }
}

/**
 * Announces a committed message to every instance's live streams. Never throws: the message is
 * stored, and a failed announcement is sent again with backoff until it goes through (streams
 * also catch up on the user's next event and on every reconnect, all of which read the table).
 */
export async function announceMessage(userId: string, position: number): Promise<void> {
  try {
    const send = await sender();
    if (!send) {
      dispatch({ userId, position });
      return;
    }
    const batch = queueAnnouncement(userId, position);
    pumpAnnouncements(send);
    await batch.done;
  } catch (err) {
    metrics.publishFailed('sse');
    getLogger().error(
      { err: rootCauseMessage(err), userId, position },
      'chat message announcement failed; it is sent again until it goes through',
    );
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
    getLogger().error({ err: rootCauseMessage(err), userId }, 'chat read-state announcement failed');
  }
}

/**
 * Sends a small ephemeral event (e.g. the agent's activity) to every open stream of `userId` on
 * every instance: written as `event: <event>` with `data` as JSON and no id, to streams that are
 * live at that moment; never stored, never replayed, so a stream that is catching up or
 * reconnecting misses it. Returns whether it was handed to the fan-out (false, logged, when the
 * transport failed). Never throws for a transport failure.
 *
 * @throws AppError `invalid_input` when `event` is not a lower-case name (or is one of the stream's
 *   own events) or `data` serializes to more than EPHEMERAL_MAX_BYTES.
 */
export async function announceEphemeral(userId: string, event: string, data: Record<string, unknown>): Promise<boolean> {
  if (!EPHEMERAL_EVENT_NAME.test(event)) throw new AppError('invalid_input', `Invalid ephemeral event name: ${event}`);
  const size = Buffer.byteLength(JSON.stringify(data));
  if (size > EPHEMERAL_MAX_BYTES) throw new AppError('invalid_input', `Ephemeral event data must be at most ${EPHEMERAL_MAX_BYTES} bytes`);
  try {
    await announce({ userId, kind: 'ephemeral', event, data });
    return true;
  } catch (err) {
    getLogger().warn({ err: rootCauseMessage(err), userId, event }, 'ephemeral chat event could not be announced');
    return false;
  }
}

/**
 * Tells every instance that sessions of `userId` ended (sign-out, password change, account
 * deletion), after the rows are gone: each instance re-checks the session of each of that user's
 * open streams against the database and ends those whose session no longer holds, with a final
 * `event: session-ended`. Never throws: a lost announcement is caught by the streams' periodic
 * re-check (SSE_SESSION_RECHECK_MS).
 */
export async function announceSessionsEnded(userId: string): Promise<void> {
  try {
    await announce({ userId, kind: 'sessions-ended' });
  } catch (err) {
    getLogger().warn({ err: rootCauseMessage(err), userId }, 'sessions-ended announcement failed; streams re-check periodically');
  }
}
