import { getEnv } from '@/lib/config/env';
import { getDb } from '@/lib/db/client';
import { AppError } from '@/lib/errors/app-error';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import { onShutdown } from '@/lib/runtime/shutdown';
import { ChatStreamSession, type FirstRead } from './chat-stream-session';
import * as fanout from './fanout';
import * as hub from './hub';
import { readReplayPage, REPLAY_FIRST_ROWS, streamStats, type ChatStreamStats } from './replay-pages';
import { toReadableStream } from './stream-sinks';

/**
 * Opening a user's SSE stream: the per-user limit, the first read (before the response, so a
 * database failure is still an HTTP error), and closing every stream at shutdown. The stream
 * itself (replay paced by the client's reading, then live) is chat-stream-session.ts.
 */

/** How long a client told 429 should wait: a closed tab's stream is released within a heartbeat. */
const LIMIT_RETRY_AFTER_SECONDS = 5;

export interface ChatStreamOptions {
  userId: string;
  /** The last position the client holds; null: no history, start live from the current end. */
  since: number | null;
  /** Aborted when the client goes away (the request's signal). */
  signal: AbortSignal;
  /** Comment heartbeat interval; default SSE_HEARTBEAT_MS. */
  heartbeatMs?: number;
  /** Streams one user may hold on this instance; default SSE_MAX_STREAMS_PER_USER. */
  maxStreamsPerUser?: number;
}

export type { ChatStreamStats };

/** Peaks of the streams of this process since the last reset (bytes buffered per stream, replay page size). */
export function chatStreamStats(): ChatStreamStats {
  return { ...streamStats() };
}

/** Resets the peaks of `chatStreamStats` (tests). */
export function resetChatStreamStats(): void {
  Object.assign(streamStats(), { peakQueuedBytes: 0, peakPageBytes: 0, replayPages: 0 });
}

async function readFirst(userId: string, since: number | null): Promise<FirstRead> {
  const db = await getDb();
  if (since === null) return { kind: 'end', position: await chatMessageRepository.selectLastPosition(db, userId) };
  const page = await readReplayPage(userId, since, REPLAY_FIRST_ROWS);
  if (page.messages.length === 0 && since > 0) {
    // A cursor past the end cannot come from this history (clients only learn positions that
    // were committed), e.g. the database was reset. Starting from it would hide every message
    // until the user's positions caught up, so start at the real end; `ready` reports it.
    const position = await chatMessageRepository.selectLastPosition(db, userId);
    if (since > position) return { kind: 'end', position };
  }
  return { kind: 'page', after: since, page };
}

/**
 * Ends every open stream of this instance (`reset`): their clients reconnect with Last-Event-ID,
 * to another instance or to this one once it is back, and lose nothing.
 */
export function closeAllStreams(reason = 'server shutting down'): void {
  for (const subscriber of hub.allSubscribers()) subscriber.onEvent({ kind: 'reset', reason });
}

/**
 * On SIGTERM/SIGINT Next.js stops accepting connections and waits for open requests before it
 * exits; an SSE stream never finishes by itself, so without this hook every shutdown would wait
 * for the supervisor's SIGKILL. Registered with the first stream (re-registering replaces it).
 */
function installShutdownHook(): void {
  onShutdown('sse-streams', 'streams', closeAllStreams);
}

/**
 * Opens a user's stream of SSE events: `retry: 2000`; one `chat-message` event per stored
 * message after `since` (id = position), in position order; `ready` with `{ position }` once
 * caught up; then live `chat-message` and `read` events and a `: hb` comment every heartbeat.
 * With `since` null nothing historical is sent: `ready` carries the current last position,
 * which the client keeps as its cursor. The replay goes at the pace the client reads it, with a
 * bounded amount in memory, whatever the size of the backlog.
 *
 * The stream holds one of the user's slots until it ends: the client goes away (`signal`) or
 * cancels the body, the server ends it, or nobody starts reading the body (a response that was
 * never sent). Call it only for a GET that will send the body.
 *
 * The subscription and the first database read happen before this resolves, so a full quota or
 * an unavailable database rejects here (the route answers 429 / 503) rather than inside a 200.
 *
 * @throws AppError `rate_limited` (with Retry-After) when the user already has the maximum
 *   number of streams on this instance.
 */
export async function openChatStream(options: ChatStreamOptions): Promise<ReadableStream<Uint8Array>> {
  const { session, first, heartbeatMs } = await openChatSession(options);
  return toReadableStream(session, first, heartbeatMs);
}

/** An opened stream before it has a sink: the session, what it read first, the heartbeat to use. */
export interface OpenedChatSession {
  session: ChatStreamSession;
  first: FirstRead;
  heartbeatMs: number;
}

/**
 * `openChatStream` without the web body: the same limit, subscription and first read; the caller
 * hands the session a sink (stream-sinks.ts `pipeToResponse` for a Node ServerResponse) or closes
 * it. `signal` is optional here: a Node caller ends the session when its response closes.
 */
export async function openChatSession(options: Omit<ChatStreamOptions, 'signal'> & { signal?: AbortSignal }): Promise<OpenedChatSession> {
  const env = getEnv();
  const max = options.maxStreamsPerUser ?? env.SSE_MAX_STREAMS_PER_USER;
  const { userId, since } = options;
  // Check and subscribe with no await in between, so concurrent opens cannot both pass the check.
  if (hub.subscriberCount(userId) >= max) {
    throw new AppError('rate_limited', `At most ${max} open streams per user; close one or retry later`, {
      retryAfterSeconds: LIMIT_RETRY_AFTER_SECONDS,
    });
  }
  installShutdownHook();
  const session = new ChatStreamSession(userId, options.signal);
  session.attach(fanout.subscribe(userId, session));
  let first: FirstRead;
  try {
    first = await readFirst(userId, since);
  } catch (err) {
    session.close('first read failed');
    throw err;
  }
  return { session, first, heartbeatMs: options.heartbeatMs ?? env.SSE_HEARTBEAT_MS };
}
