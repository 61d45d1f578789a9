import { getDatabase } from '@/lib/db/client';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { metrics } from '@/lib/metrics';
import { dispatch } from './delivery';
import { NOTIFY_CHANNEL, type Notification } from './notification';
import type { ReadChange } from './protocol';

/**
 * The sending end of the fan-out, run after the commit by the publish step:
 *   - PostgreSQL: `pg_notify('chat_messages', '{"userId":..,"position":..}')`; every instance,
 *     this one included, hears it through its own LISTEN connection.
 *   - PGlite: there is only this process, so local delivery is told directly.
 */

/** NOTIFY payloads must stay under 8000 bytes; read changes are split to stay well below. */
const READ_IDS_PER_NOTIFY = 50;
/** NOTIFY round trips under way at once; announcements beyond them share the next one. */
const MAX_NOTIFY_IN_FLIGHT = 4;

async function announce(notification: Notification): Promise<void> {
  const database = await getDatabase();
  if (database.kind === 'postgres') {
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
    metrics.publishFailed('sse');
    getLogger().error(
      { err: rootCauseMessage(err), userId, position },
      'chat message NOTIFY failed; streams will catch up on the next event or reconnect',
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
    getLogger().error({ err: rootCauseMessage(err), userId }, 'chat read-state NOTIFY failed');
  }
}
