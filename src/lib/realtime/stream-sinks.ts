import type { ServerResponse } from 'node:http';
import { HIGH_WATER_BYTES, type ChatStreamSession, type FirstRead, type StreamSink } from './chat-stream-session';

/**
 * The two places a chat stream's session writes to:
 *   - a web ReadableStream, the body of the route handler's Response (src/app/.../stream/route.ts,
 *     and the integration tests);
 *   - a Node ServerResponse, written directly by the app's Node entry (src/server/chat-stream.ts),
 *     which holds far less per idle stream than a Response piped through Next.js's pipeline.
 * Both give the session the same back-pressure: bytes not yet read, and a wake-up when the client
 * has read them.
 */

const encoder = new TextEncoder();
/** A body nobody has started to read by then was never sent (the response failed or was not a GET). */
const UNSENT_BODY_MS = 10_000;

/** The session as a web ReadableStream of UTF-8 bytes. */
export function toReadableStream(session: ChatStreamSession, first: FirstRead, heartbeatMs: number): ReadableStream<Uint8Array> {
  const body = new ReadableStream<Uint8Array>(
    {
      start: (controller) => {
        session.start(
          {
            write: (text) => controller.enqueue(encoder.encode(text)),
            queuedBytes: () => {
              const desired = controller.desiredSize;
              return desired == null ? 0 : HIGH_WATER_BYTES - desired;
            },
            end: () => controller.close(),
            abort: (reason) => controller.error(new Error(reason)),
          },
          first,
          heartbeatMs,
        );
      },
      pull: () => session.wake(),
      cancel: () => session.close('client cancelled'),
    },
    { highWaterMark: HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength },
  );
  // Whoever sends the response reads the body; one nobody reads was never sent (a HEAD, a
  // response that failed before its first byte) and must not hold its slot forever.
  const unsent = setTimeout(() => {
    if (!body.locked) session.close('response body never read');
  }, UNSENT_BODY_MS);
  unsent.unref();
  session.onClose = () => clearTimeout(unsent);
  return body;
}

/**
 * A ServerResponse as the session's sink. The caller has written the status and headers. Ends
 * the session when the client goes away; `drain` wakes a replay waiting for the client to read.
 */
export function pipeToResponse(session: ChatStreamSession, first: FirstRead, heartbeatMs: number, res: ServerResponse): void {
  const sink: StreamSink = {
    write: (text) => {
      // A response whose socket is gone may never emit 'close' (it closed before we listened):
      // the next write (at the latest a heartbeat) ends the session.
      if (res.destroyed || res.writableEnded || !res.socket || res.socket.destroyed) session.close('client gone');
      else res.write(text);
    },
    // Bytes in Node's buffers (the response's and the socket's) that the kernel has not taken.
    queuedBytes: () => res.writableLength,
    end: () => {
      res.end();
    },
    abort: () => {
      res.destroy();
    },
  };
  const onDrain = () => session.wake();
  const onClose = () => session.close('client aborted');
  res.on('drain', onDrain);
  res.on('close', onClose);
  session.onClose = () => {
    res.off('drain', onDrain);
    res.off('close', onClose);
  };
  session.start(sink, first, heartbeatMs);
}
