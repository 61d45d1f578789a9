import type { Browser } from './http-client';

/**
 * A small Server-Sent-Events client for tests: parses any byte stream as the EventSource spec
 * does (fields, comments, multi-line data, `id` and `retry`), and opens the app's stream over
 * HTTP with the browser's session cookie and an optional Last-Event-ID.
 */

export interface SseEvent {
  /** The event name (`message` when the block had no `event:` field). */
  event: string;
  data: string;
  /** The `id:` field of this block, when it had one. */
  id?: string;
}

/** Reads SSE events from a byte stream. Every wait is bounded by a timeout. */
export class SseReader {
  /** The last id seen (what EventSource would send as Last-Event-ID). */
  lastEventId = '';
  /** The last `retry:` value seen, in milliseconds. */
  retry?: number;
  /** Comment lines (without the leading colon and space), e.g. `hb` heartbeats. */
  readonly comments: string[] = [];
  /** True once the stream ended (closed by the server, aborted, or cancelled). */
  ended = false;

  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private text = '';
  private readonly queue: SseEvent[] = [];
  private block: { event?: string; data: string[]; id?: string } = { data: [] };
  private inflight?: Promise<ReadableStreamReadResult<Uint8Array>>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** The next event, or null once the stream has ended. Rejects after `timeoutMs`. */
  async next(timeoutMs = 10_000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.ended) return null;
      await this.readChunk(deadline);
    }
    return this.queue.shift()!;
  }

  /** Reads events until one matches (included in the result). Rejects on timeout or end of stream. */
  async until(predicate: (event: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    const seen: SseEvent[] = [];
    for (;;) {
      const event = await this.next(Math.max(1, deadline - Date.now()));
      if (!event) throw new Error(`stream ended before the expected event; saw ${seen.map((e) => e.event).join(',')}`);
      seen.push(event);
      if (predicate(event)) return seen;
    }
  }

  /** Waits until a comment with this text has arrived (events meanwhile stay queued). */
  async waitForComment(text: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.comments.includes(text)) {
      if (this.ended) throw new Error(`stream ended before comment "${text}"`);
      await this.readChunk(deadline);
    }
  }

  /** Waits for the end of the stream, discarding events. */
  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) await this.readChunk(deadline);
  }

  /** Stops reading (the server sees the client go away). */
  async cancel(): Promise<void> {
    this.ended = true;
    await this.reader.cancel().catch(() => {});
  }

  private async readChunk(deadline: number): Promise<void> {
    this.inflight ??= this.reader.read();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    });
    let result: ReadableStreamReadResult<Uint8Array> | 'timeout';
    try {
      result = await Promise.race([this.inflight, timeout]);
    } catch {
      // An aborted fetch rejects the pending read: for the reader that is the end of the stream.
      result = { done: true, value: undefined };
    } finally {
      clearTimeout(timer);
    }
    if (result === 'timeout') throw new Error('timed out waiting for SSE data');
    this.inflight = undefined;
    if (result.done) {
      this.ended = true;
      this.feed(this.decoder.decode() + '\n\n');
      return;
    }
    this.feed(this.decoder.decode(result.value, { stream: true }));
  }

  private feed(chunk: string): void {
    this.text += chunk;
    // A line ends at CRLF, LF or CR; a trailing CR may be the first half of a CRLF, so keep it.
    const lines = this.text.split(/\r\n|\n|\r(?!$)/);
    this.text = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      const { event, data, id } = this.block;
      this.block = { data: [] };
      if (data.length === 0) return;
      this.queue.push({ event: event ?? 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}) });
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.block.data.push(value);
    else if (field === 'event') this.block.event = value;
    else if (field === 'id' && !value.includes('\0')) {
      this.block.id = value;
      this.lastEventId = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/** An open (or refused) stream request. */
export interface SseConnection {
  status: number;
  headers: Headers;
  /** The events, when the server answered 200 with a body. */
  events: SseReader;
  /** The JSON error body, when it did not. */
  error?: { error: { code: string; message: string } };
  /** Aborts the request: the server sees the client disconnect. */
  close: () => Promise<void>;
}

/**
 * Opens `path` (e.g. `/api/chat-messages/stream`) as an event stream with the browser's cookies,
 * sending `Last-Event-ID` when given (as EventSource does on reconnect).
 */
export async function openSse(browser: Browser, path: string, options: { lastEventId?: string | number } = {}): Promise<SseConnection> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
  const response = await browser.fetch(path, { headers, signal: controller.signal });
  let error: SseConnection['error'];
  let body: ReadableStream<Uint8Array>;
  if (response.status === 200 && response.body) {
    body = response.body;
  } else {
    const text = await response.text();
    error = text ? (JSON.parse(text) as SseConnection['error']) : undefined;
    body = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  }
  const events = new SseReader(body);
  const close = async () => {
    controller.abort();
    await events.cancel();
  };
  return { status: response.status, headers: response.headers, events, error, close };
}

/** Parses an event's JSON data. */
export function eventData<T = Record<string, unknown>>(event: SseEvent): T {
  return JSON.parse(event.data) as T;
}
