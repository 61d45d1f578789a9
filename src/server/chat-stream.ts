import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHAT_STREAM_PATH, chatStreamRoute, sessionStillHolds, SSE_HEADERS, streamCursor } from '@/lib/http/chat-stream-endpoint';
import { toErrorResponse } from '@/lib/http/errors';
import { checkRoute } from '@/lib/http/route';
import { openChatSession } from '@/lib/realtime/chat-stream';
import { pipeToResponse } from '@/lib/realtime/stream-sinks';
import { pathOf, sendResponse, toNextRequest } from './web-bridge';

/**
 * `GET /api/chat-messages/stream` (and HEAD) served by the app's Node entry, before Next.js's
 * handler. The checks, cursor, headers and error bodies are the route handler's
 * (src/lib/http/chat-stream-endpoint.ts, `checkRoute`); what changes is the body: events are
 * written straight to the ServerResponse instead of a web ReadableStream that Next.js pipes
 * through its route pipeline, which kept about 78 KB of suspended frames per idle stream
 * (bench/RESULTS.md, fan-out). Other methods go on to Next.js (405, OPTIONS 204), as before.
 */

/** True for a GET or HEAD of exactly the stream's path (any query). */
export function isChatStreamRequest(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && pathOf(req) === CHAT_STREAM_PATH;
}

/** Answers a request `isChatStreamRequest` accepted. Never rejects. */
export async function serveChatStream(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let gone = false;
  const onGone = () => (gone = true);
  res.once('close', onGone);
  const request = toNextRequest(req);
  try {
    const { userId, sessionId, query } = await checkRoute(chatStreamRoute, request, {});
    const since = streamCursor(request, query);
    // HEAD (curl -I, link checkers): the same checks and headers, no stream and no slot taken.
    if (req.method !== 'GET') {
      res.writeHead(200, SSE_HEADERS).end();
      return;
    }
    // A client that left while we checked it gets no slot and no replay read.
    if (gone || req.socket.destroyed) return;
    const stillSignedIn = sessionStillHolds({ userId, sessionId });
    const { session, first, heartbeatMs } = await openChatSession({ userId, since, stillSignedIn });
    res.off('close', onGone);
    // A socket that closed before this request was handed to us never emits 'close' on `res`.
    if (gone || req.socket.destroyed || res.destroyed) {
      session.close('client aborted');
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    pipeToResponse(session, first, heartbeatMs, res);
  } catch (err) {
    res.off('close', onGone);
    if (gone) return;
    await sendResponse(req, res, toErrorResponse(err, { method: req.method ?? 'GET', path: CHAT_STREAM_PATH }));
  }
}
