import type { ChatMessageRow } from '@/lib/db/schema';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { metrics } from '@/lib/metrics';
import * as fanout from './fanout';
import type { HubEvent, HubSubscriber } from './hub';
import { toChatMessagePayload } from './payloads';
import { SSE_EVENTS, type ReadChange, type ReadyPayload } from './protocol';
import { nextPageRows, readReplayPage, REPLAY_FIRST_ROWS, streamStats, type ReplayPage } from './replay-pages';
import { sseComment, sseEvent, sseRetry } from './sse';

/**
 * One open SSE stream of one user (chat-stream.ts opens it).
 *
 * Memory is bounded by what the client reads, not by its backlog: the stream replays from the
 * database one page at a time, a page bounded by bytes (REPLAY_PAGE_BYTES plus one message), and
 * writes a message only when the client has read what is buffered (at most HIGH_WATER_BYTES plus
 * one message); the next page is read only once the previous one has drained. A live stream
 * whose client has not read its buffer when new rows come falls back to the same paced replay
 * from its cursor, and goes live again at the end. A client that reads nothing for
 * STALL_MS while the stream has something to send is ended (it resumes by cursor); a client that
 * reads is never ended, however long its replay.
 *
 * Hand-off without gap or duplicate: the stream subscribes to the hub *before* its first query.
 * While it replays, its cursor is "none", so the fan-out only flags it ("something was committed")
 * instead of loading rows for it. When the replay reaches the end it goes live with the last
 * position it sent as its cursor, and if it was flagged meanwhile it asks the fan-out for one
 * load, which reads everything after that cursor. Any commit is therefore either in the replay's
 * snapshot, or announced after the stream subscribed (flag -> load after going live, or a load
 * while live). Every write passes one gate, `position > lastSent`, so nothing is sent twice.
 */

/** What EventSource waits before reconnecting (the spec's default is up to the browser, often 3 s). */
const RECONNECT_RETRY_MS = 2_000;
/**
 * Only small events (read changes, heartbeats) are written without waiting for the client, so a
 * buffer this big means the client has long stopped reading: end the stream, it resumes by cursor.
 */
const MAX_BEHIND_BYTES = 1024 * 1024;
/** How long a stream with something to send waits for a client that reads nothing. */
const STALL_MS = 60_000;

/** What was read before answering, so a database failure is still a proper HTTP error. */
export type FirstRead = { kind: 'end'; position: number } | { kind: 'page'; after: number; page: ReplayPage };

const NO_PAGE: ReplayPage = { messages: [], hasMore: false };

/**
 * Where a session writes: a web ReadableStream (the route handler's Response body) or a Node
 * ServerResponse (the app's Node entry, src/server/chat-stream.ts). stream-sinks.ts has both.
 */
export interface StreamSink {
  /** Queues text for the client. */
  write(text: string): void;
  /** Bytes written that the client has not read yet. */
  queuedBytes(): number;
  /** Ends the response after what is queued. */
  end(): void;
  /** Ends the response dropping what the client has not read. */
  abort(reason: string): void;
}

/** Bytes the stream buffers for its client before it waits for the client to read. */
export const HIGH_WATER_BYTES = 128 * 1024;

export class ChatStreamSession implements HubSubscriber {
  private sink?: StreamSink;
  private lastSent = 0;
  /** Fed by the fan-out; false while the stream catches up from the database by itself. */
  private live = false;
  private readySent = false;
  private pageRows = REPLAY_FIRST_ROWS;
  /** A message was announced while replaying: load once more after going live. */
  private announcedDuringReplay = false;
  /** Read events that arrived while replaying, sent after the replayed messages they refer to. */
  private pendingReads: ReadChange[] = [];
  private drainWaiters: Array<() => void> = [];
  private heartbeat?: NodeJS.Timeout;
  private closed = false;
  /** Counted in the open-streams gauge (from attach to close). */
  private counted = false;
  private unsubscribe: () => void = () => {};
  private onAbort?: () => void;
  /** Called once when the session closes (the sink's own clean-up). */
  onClose?: () => void;

  constructor(
    private readonly userId: string,
    private readonly signal?: AbortSignal,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  cursor(): number | null {
    return this.live ? this.lastSent : null;
  }

  deliver(rows: readonly ChatMessageRow[]): void {
    if (!this.live) return;
    for (const row of rows) {
      if (row.position <= this.lastSent) continue;
      if (this.queuedBytes() >= HIGH_WATER_BYTES) {
        // The client has not read what it has: no more rows in memory for it. It catches up
        // from the database at its own pace, from the last position it was sent.
        this.live = false;
        void this.replay(null);
        return;
      }
      // Metrics hook: live deliveries only (a replay's rows are old by design).
      metrics.fanoutDelay(Date.now() - row.createdAt.getTime());
      this.writeMessage(row);
    }
  }

  onEvent(event: HubEvent): void {
    if (event.kind === 'message') {
      if (!this.live) this.announcedDuringReplay = true;
    } else if (event.kind === 'read') {
      const data: ReadChange = 'upTo' in event ? { upTo: event.upTo } : { ids: event.ids, positions: event.positions };
      if (this.live) this.write(sseEvent(SSE_EVENTS.read, data));
      else this.pendingReads.push(data);
    } else if (event.kind === 'ephemeral') {
      // Not stored, so not replayed: only a stream that is live gets it.
      if (this.live) this.write(sseEvent(event.event, event.data));
    } else {
      this.close(event.reason);
    }
  }

  /** Keeps the hub entry's release and ends the stream when the client goes away (the signal, if any). */
  attach(unsubscribe: () => void): void {
    this.unsubscribe = unsubscribe;
    if (!this.counted && !this.closed) {
      this.counted = true;
      metrics.streamOpened();
    }
    if (!this.signal) return;
    if (this.signal.aborted) this.close('client aborted');
    else {
      this.onAbort = () => this.close('client aborted');
      this.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /**
   * Frees everything the stream holds (hub entry, timers, abort listener) and ends the body.
   * `discard` drops what the client has not read instead: a client that stopped reading would
   * otherwise keep that buffer alive. Idempotent.
   */
  close(reason: string, options: { discard?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    if (this.counted) metrics.streamClosed();
    this.unsubscribe();
    clearInterval(this.heartbeat);
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
    this.pendingReads = [];
    this.wake();
    try {
      // Undefined when closed before the body exists; `start` then ends it at once.
      if (options.discard) this.sink?.abort(reason);
      else this.sink?.end();
    } catch {
      // Already closed or cancelled by the client: nothing left to end.
    }
    this.onClose?.();
    getLogger().debug({ userId: this.userId, reason }, 'chat stream closed');
  }

  /** The client read what was buffered: a waiting replay may write again. */
  wake(): void {
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  /** Starts writing to `sink`: `retry`, the replay (starting with the page read before the response), `ready`, then live. */
  start(sink: StreamSink, first: FirstRead, heartbeatMs: number): void {
    this.sink = sink;
    if (this.closed) {
      sink.end();
      return;
    }
    this.write(sseRetry(RECONNECT_RETRY_MS));
    // The first write may find the client gone and close the session.
    if (this.closed) return;
    this.heartbeat = setInterval(() => this.write(sseComment('hb')), heartbeatMs);
    if (first.kind === 'end') {
      this.lastSent = first.position;
      this.goLive();
    } else {
      this.lastSent = first.after;
      this.pageRows = nextPageRows(first.page, this.pageRows);
      void this.replay(first.page);
    }
  }

  /**
   * Sends every stored message after `lastSent`, page by page, each message only once the
   * client has read the buffer, then goes live. `first` is a page already read from there.
   */
  private async replay(first: ReplayPage | null): Promise<void> {
    try {
      let page = first ?? (await this.readPage());
      for (;;) {
        for (const row of page.messages) {
          await this.drained();
          if (this.closed) return;
          this.writeMessage(row);
        }
        const more = page.hasMore;
        // Let the sent page go before the next one is read.
        page = NO_PAGE;
        if (!more) break;
        await this.drained();
        if (this.closed) return;
        page = await this.readPage();
        if (this.closed) return;
      }
      this.goLive();
    } catch (err) {
      getLogger().warn({ err: rootCauseMessage(err), userId: this.userId }, 'chat stream replay failed');
      // The client reconnects with its Last-Event-ID and the replay starts over from there.
      this.close('replay failed');
    }
  }

  private async readPage(): Promise<ReplayPage> {
    const page = await readReplayPage(this.userId, this.lastSent, this.pageRows);
    this.pageRows = nextPageRows(page, this.pageRows);
    return page;
  }

  private goLive(): void {
    if (this.closed) return;
    this.live = true;
    if (!this.readySent) {
      this.readySent = true;
      this.write(sseEvent(SSE_EVENTS.ready, { position: this.lastSent } satisfies ReadyPayload));
    }
    for (const data of this.pendingReads.splice(0)) this.write(sseEvent(SSE_EVENTS.read, data));
    // Something committed after the replay's last snapshot may have been announced while we
    // were not yet live; one load from our cursor picks it up.
    if (this.announcedDuringReplay) {
      this.announcedDuringReplay = false;
      fanout.requestLoad(this.userId);
    }
  }

  private writeMessage(row: ChatMessageRow): void {
    // The single gate between replay and live: positions only go up, so nothing is sent twice.
    if (row.position <= this.lastSent) return;
    this.write(sseEvent(SSE_EVENTS.chatMessage, toChatMessagePayload(row), row.position));
    metrics.published('sse');
    this.lastSent = row.position;
  }

  /** Bytes written that the client has not read yet. */
  private queuedBytes(): number {
    return this.sink?.queuedBytes() ?? 0;
  }

  private write(text: string): void {
    if (this.closed || !this.sink) return;
    this.sink.write(text);
    const queued = this.queuedBytes();
    const stats = streamStats();
    if (queued > stats.peakQueuedBytes) stats.peakQueuedBytes = queued;
    if (queued > MAX_BEHIND_BYTES) {
      getLogger().warn({ userId: this.userId, queued }, 'chat stream client is not reading; ending it so it resumes by cursor');
      this.close('slow client', { discard: true });
    }
  }

  /**
   * Resolves once the client has read what is buffered (so a long replay never piles up in
   * memory). A client that reads nothing for STALL_MS is ended; it resumes by cursor.
   */
  private drained(): Promise<void> {
    if (this.closed || this.queuedBytes() < HIGH_WATER_BYTES) return Promise.resolve();
    return new Promise((resolve) => {
      const stalled = setTimeout(() => {
        this.close('stalled: the client stopped reading', { discard: true });
        resolve();
      }, STALL_MS);
      this.drainWaiters.push(() => {
        clearTimeout(stalled);
        resolve();
      });
    });
  }
}
