import { getEnv } from '@/lib/config/env';
import { getDb } from '@/lib/db/client';
import type { ChatMessageRow } from '@/lib/db/schema';
import { AppError, rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import { onShutdown } from '@/lib/runtime/shutdown';
import * as fanout from './fanout';
import * as hub from './hub';
import type { HubEvent, HubSubscriber } from './hub';
import { toChatMessagePayload } from './payloads';
import { SSE_EVENTS, type ReadChange, type ReadyPayload } from './protocol';
import { sseComment, sseEvent, sseRetry } from './sse';

/**
 * One user's SSE stream: replay from the database after the client's cursor, then live.
 *
 * Hand-off without gap or duplicate: the stream subscribes to the hub *before* its first query.
 * While it replays, its cursor is "none", so the fan-out only flags it ("something was committed")
 * instead of loading rows for it. When the replay reaches the end it goes live with the last
 * position it sent as its cursor, and if it was flagged meanwhile it asks the fan-out for one
 * load, which reads everything after that cursor. Any commit is therefore either in the replay's
 * snapshot, or announced after the stream subscribed (flag -> load after going live, or a load
 * while live). Every write passes one gate, `position > lastSent`, so nothing is sent twice.
 */

/** Messages per replay query. */
const REPLAY_PAGE_SIZE = 500;
/** What EventSource waits before reconnecting (the spec's default is up to the browser, often 3 s). */
const RECONNECT_RETRY_MS = 2_000;
/** Bytes the stream may buffer for its client before it starts waiting (replay) or counting it slow. */
const HIGH_WATER_BYTES = 256 * 1024;
/**
 * A live client this far behind is not reading. The stream ends instead of buffering without
 * bound; the client reconnects with Last-Event-ID and loses nothing.
 */
const MAX_BEHIND_BYTES = 4 * 1024 * 1024;
/** How long a replay waits for a client that reads nothing before ending its stream. */
const REPLAY_STALL_MS = 60_000;
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

const encoder = new TextEncoder();

class ChatStreamSession implements HubSubscriber {
  private controller?: ReadableStreamDefaultController<Uint8Array>;
  private lastSent = 0;
  private live = false;
  /** A message was announced while replaying: load once more after going live. */
  private announcedDuringReplay = false;
  /** Read events that arrived while replaying, sent after the replayed messages they refer to. */
  private pendingReads: ReadChange[] = [];
  private drainWaiters: Array<() => void> = [];
  private heartbeat?: NodeJS.Timeout;
  private closed = false;
  private unsubscribe: () => void = () => {};
  private readonly onAbort = () => this.close('client aborted');

  constructor(
    private readonly userId: string,
    private readonly signal: AbortSignal,
  ) {}

  cursor(): number | null {
    return this.live ? this.lastSent : null;
  }

  deliver(rows: readonly ChatMessageRow[]): void {
    for (const row of rows) this.writeMessage(row);
  }

  onEvent(event: HubEvent): void {
    if (event.kind === 'message') {
      if (!this.live) this.announcedDuringReplay = true;
    } else if (event.kind === 'read') {
      const data: ReadChange = 'upTo' in event ? { upTo: event.upTo } : { ids: event.ids, positions: event.positions };
      if (this.live) this.write(sseEvent(SSE_EVENTS.read, data));
      else this.pendingReads.push(data);
    } else {
      this.close(event.reason);
    }
  }

  /** Keeps the hub entry's release and ends the stream when the client goes away. */
  attach(unsubscribe: () => void): void {
    this.unsubscribe = unsubscribe;
    if (this.signal.aborted) this.close('client aborted');
    else this.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Frees everything the stream holds (hub entry, timer, abort listener) and ends the body.
   * `discard` errors the body instead, dropping what the client has not read: a client that
   * stopped reading would otherwise keep that buffer alive. Idempotent.
   */
  close(reason: string, options: { discard?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.heartbeat);
    this.signal.removeEventListener('abort', this.onAbort);
    for (const wake of this.drainWaiters.splice(0)) wake();
    try {
      // Undefined when closed before the body exists; `start` then ends it at once.
      if (options.discard) this.controller?.error(new Error(reason));
      else this.controller?.close();
    } catch {
      // Already closed or cancelled by the client: nothing left to end.
    }
    getLogger().debug({ userId: this.userId, reason }, 'chat stream closed');
  }

  /** The body: `retry`, the replay (starting with the page read before the response), `ready`, then live. */
  toReadableStream(first: FirstRead, heartbeatMs: number): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
          if (this.closed) {
            controller.close();
            return;
          }
          this.write(sseRetry(RECONNECT_RETRY_MS));
          this.heartbeat = setInterval(() => this.write(sseComment('hb')), heartbeatMs);
          void this.run(first);
        },
        pull: () => {
          for (const wake of this.drainWaiters.splice(0)) wake();
        },
        cancel: () => this.close('client cancelled'),
      },
      { highWaterMark: HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength },
    );
  }

  private async run(first: FirstRead): Promise<void> {
    try {
      if (first.kind === 'end') {
        this.lastSent = first.position;
      } else {
        this.lastSent = first.after;
        let page = first.page;
        for (;;) {
          for (const row of page.messages) this.writeMessage(row);
          if (!page.hasMore || this.closed) break;
          await this.drained();
          if (this.closed) return;
          page = await readPage(this.userId, this.lastSent);
        }
      }
      if (this.closed) return;
      this.goLive();
    } catch (err) {
      getLogger().warn({ err: rootCauseMessage(err), userId: this.userId }, 'chat stream replay failed');
      // The client reconnects with its Last-Event-ID and the replay starts over from there.
      this.close('replay failed');
    }
  }

  private goLive(): void {
    this.live = true;
    this.write(sseEvent(SSE_EVENTS.ready, { position: this.lastSent } satisfies ReadyPayload));
    for (const data of this.pendingReads.splice(0)) this.write(sseEvent(SSE_EVENTS.read, data));
    // Something committed after the replay's last snapshot may have been announced while we
    // were not yet live; one load from our cursor picks it up.
    if (this.announcedDuringReplay) fanout.requestLoad(this.userId);
  }

  private writeMessage(row: ChatMessageRow): void {
    // The single gate between replay and live: positions only go up, so nothing is sent twice.
    if (row.position <= this.lastSent) return;
    this.write(sseEvent(SSE_EVENTS.chatMessage, toChatMessagePayload(row), row.position));
    this.lastSent = row.position;
  }

  private write(text: string): void {
    if (this.closed || !this.controller) return;
    this.controller.enqueue(encoder.encode(text));
    const behind = -(this.controller.desiredSize ?? 0);
    if (this.live && behind > MAX_BEHIND_BYTES) {
      getLogger().warn({ userId: this.userId, behind }, 'chat stream client is not reading; ending it so it resumes by cursor');
      this.close('slow client', { discard: true });
    }
  }

  /**
   * Resolves once the client has read what is buffered (so a long replay never piles up in
   * memory). A client that reads nothing for REPLAY_STALL_MS is ended; it resumes by cursor.
   */
  private drained(): Promise<void> {
    if (this.closed || (this.controller?.desiredSize ?? 0) > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const stalled = setTimeout(() => {
        this.close('replay stalled: the client stopped reading', { discard: true });
        resolve();
      }, REPLAY_STALL_MS);
      this.drainWaiters.push(() => {
        clearTimeout(stalled);
        resolve();
      });
    });
  }
}

/** What was read before answering, so a database failure is still a proper HTTP error. */
type FirstRead =
  { kind: 'end'; position: number } | { kind: 'page'; after: number; page: { messages: ChatMessageRow[]; hasMore: boolean } };

async function readPage(userId: string, afterPosition: number): Promise<{ messages: ChatMessageRow[]; hasMore: boolean }> {
  return chatMessageRepository.selectPageAfter(await getDb(), { userId, afterPosition, limit: REPLAY_PAGE_SIZE });
}

async function readLastPosition(userId: string): Promise<number> {
  return chatMessageRepository.selectLastPosition(await getDb(), userId);
}

async function readFirst(userId: string, since: number | null): Promise<FirstRead> {
  if (since === null) return { kind: 'end', position: await readLastPosition(userId) };
  const page = await readPage(userId, since);
  if (page.messages.length === 0 && since > 0) {
    // A cursor past the end cannot come from this history (clients only learn positions that
    // were committed), e.g. the database was reset. Starting from it would hide every message
    // until the user's positions caught up, so start at the real end; `ready` reports it.
    const position = await readLastPosition(userId);
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
 * which the client keeps as its cursor.
 *
 * The subscription and the first database read happen before this resolves, so a full quota or
 * an unavailable database rejects here (the route answers 429 / 503) rather than inside a 200.
 *
 * @throws AppError `rate_limited` (with Retry-After) when the user already has the maximum
 *   number of streams on this instance.
 */
export async function openChatStream(options: ChatStreamOptions): Promise<ReadableStream<Uint8Array>> {
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
  return session.toReadableStream(first, options.heartbeatMs ?? env.SSE_HEARTBEAT_MS);
}
