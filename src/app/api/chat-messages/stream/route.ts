// GET /api/chat-messages/stream - the caller's messages as Server-Sent Events: every stored message
// after the cursor (Last-Event-ID header, else ?since=<position>), then live. Without a cursor no
// history is sent; `event: ready` carries the current last position to use as the cursor.
//
// The documented contract. The app's Node entry (src/server/chat-stream.ts) serves GET and HEAD of
// this path itself, before Next.js, with the same checks (src/lib/http/chat-stream-endpoint.ts):
// an idle stream then costs a few KB instead of Next's route pipeline. This handler answers what
// reaches Next (other methods are Next's 405/204; a path Next normalizes to this one).
import { chatStreamRoute, SSE_HEADERS, streamCursor } from '@/lib/http/chat-stream-endpoint';
import { withRoute } from '@/lib/http/route';
import { openChatStream } from '@/lib/realtime/chat-stream';

// Never prerendered or cached: every response is a live stream.
export const dynamic = 'force-dynamic';
// LISTEN connections and timers need Node, not the edge runtime.
export const runtime = 'nodejs';

export const GET = withRoute(chatStreamRoute, async ({ req, userId, query }) => {
  const since = streamCursor(req, query);
  // Next.js answers HEAD (curl -I, link checkers) with this handler and never reads the body,
  // so only a GET may open a stream, which holds one of the user's slots while it lasts. HEAD
  // gets the same checks and headers, without a stream.
  if (req.method !== 'GET') return new Response(null, { headers: SSE_HEADERS });
  const body = await openChatStream({ userId, since, signal: req.signal });
  return new Response(body, { headers: SSE_HEADERS });
});
