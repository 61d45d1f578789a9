import http from 'node:http';

/**
 * A minimal Server-Sent-Events client on node:http for thousands of streams in one process:
 * one socket per stream (no pooling), `id`/`event`/`data` fields, events handed to a callback.
 */

export interface StreamEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  /** The last `id:` seen (what EventSource sends back as Last-Event-ID). */
  lastEventId: () => string | undefined;
  ended: Promise<void>;
  close: () => void;
}

export function openStream(options: {
  port: number;
  path: string;
  headers?: Record<string, string>;
  onEvent: (event: StreamEvent) => void;
  timeoutMs?: number;
}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    let lastEventId: string | undefined;
    const req = http.request({
      host: '127.0.0.1',
      port: options.port,
      path: options.path,
      agent: false,
      headers: { accept: 'text/event-stream', ...options.headers },
    });
    const timer = setTimeout(() => req.destroy(new Error('stream open timed out')), options.timeoutMs ?? 60_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      let endedResolve: () => void = () => {};
      const ended = new Promise<void>((r) => (endedResolve = r));
      res.on('end', () => endedResolve());
      res.on('close', () => endedResolve());
      res.on('error', () => endedResolve());
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        lastEventId: () => lastEventId,
        ended,
        close: () => {
          req.destroy();
          res.destroy();
        },
      };
      if (res.statusCode !== 200) {
        res.resume();
        resolve(stream);
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let id: string | undefined;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') data.push(value);
            else if (field === 'event') event = value;
            else if (field === 'id') id = value;
          }
          if (id !== undefined) lastEventId = id;
          if (data.length > 0) options.onEvent({ id, event, data: data.join('\n') });
        }
      });
      resolve(stream);
    });
    req.end();
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inBatches<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!, i);
      }
    }),
  );
  return results;
}

/** Epoch milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
