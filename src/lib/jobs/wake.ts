import pg from 'pg';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';

/**
 * Wake-up on enqueue: a worker waiting for its next poll starts fetching at once when a job is
 * sent, instead of up to a polling interval later.
 * - In the same process (PGlite, RUN_WORKER_IN_PROCESS): the enqueue calls the wakers directly.
 * - Across processes (PostgreSQL): the enqueue sends `NOTIFY chat_jobs, '<queue>'`; each worker
 *   process holds one LISTEN connection on that channel (reconnecting with backoff; every
 *   reconnection wakes its workers, so a job sent while it was down waits no longer).
 * A wake-up only makes a worker fetch early: pg-boss hands each job to one fetch
 * (`FOR UPDATE SKIP LOCKED`), so waking every worker never makes a job run twice, and polling
 * stays as the fallback when a notification is lost.
 */

export const WAKE_CHANNEL = 'chat_jobs';

type Waker = () => void;

interface WakeState {
  wakers: Map<string, Set<Waker>>;
  listener?: { client?: pg.Client; stopped: boolean; timer?: NodeJS.Timeout };
}

const slot = processGlobal<WakeState>('jobs.wake');
const state = (): WakeState => slot.getOrCreate(() => ({ wakers: new Map() }));

/** Registers this process's waker for `queue`; returns the unregister function. */
export function onWake(queue: string, waker: Waker): () => void {
  const { wakers } = state();
  let set = wakers.get(queue);
  if (!set) wakers.set(queue, (set = new Set()));
  set.add(waker);
  return () => set.delete(waker);
}

/** Wakes this process's workers of `queue` (or of every queue). */
export function wakeLocal(queue?: string): void {
  for (const [name, set] of state().wakers) {
    if (queue !== undefined && name !== queue) continue;
    for (const waker of set) waker();
  }
}

/** After a job was sent: wakes local workers, and on PostgreSQL every worker process. Never throws. */
export async function announceJob(queue: string, pool: Pick<pg.Pool, 'query'> | undefined): Promise<void> {
  wakeLocal(queue);
  if (!pool) return;
  try {
    await pool.query('SELECT pg_notify($1, $2)', [WAKE_CHANNEL, queue]);
  } catch (err) {
    // The job is stored; the workers' polling finds it.
    getLogger().warn({ queue, err: rootCauseMessage(err) }, 'could not announce a job; workers will poll for it');
  }
}

/** Starts this process's LISTEN connection for job wake-ups (worker processes on PostgreSQL), once. */
export function listenForJobs(connectionString: string): void {
  const current = state();
  if (current.listener && !current.listener.stopped) return;
  const listener: NonNullable<WakeState['listener']> = { stopped: false };
  current.listener = listener;
  let attempt = 0;
  const connect = async () => {
    if (listener.stopped) return;
    const client = new pg.Client({
      connectionString,
      application_name: 'chat-jobs-listener',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    listener.client = client;
    let failed = false;
    const retry = (err: unknown) => {
      if (failed) return;
      failed = true;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (listener.stopped) return;
      attempt++;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
      getLogger().warn({ err: rootCauseMessage(err), attempt }, 'job wake-up connection lost; reconnecting (workers keep polling)');
      listener.timer = setTimeout(() => void connect(), delay);
      listener.timer.unref();
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === WAKE_CHANNEL && message.payload) wakeLocal(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${WAKE_CHANNEL}`);
      attempt = 0;
      // Jobs sent while this connection was down were announced to no one.
      wakeLocal();
    } catch (err) {
      retry(err);
    }
  };
  void connect();
}

/** Closes the LISTEN connection (worker shutdown). */
export async function stopListeningForJobs(): Promise<void> {
  const listener = state().listener;
  if (!listener) return;
  listener.stopped = true;
  clearTimeout(listener.timer);
  await listener.client?.end().catch(() => {});
}
