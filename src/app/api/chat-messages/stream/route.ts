// GET /api/chat-messages/stream - the caller's messages as Server-Sent Events: every stored message
// after the cursor (Last-Event-ID header, else ?since=<position>), then live. Without a cursor no
// history is sent; `event: ready` carries the current last position to use as the cursor.
import { withSession } from '@/lib/http/route';
import { parseHeader } from '@/lib/http/schemas';
import { openChatStream } from '@/lib/realtime/chat-stream';
import { LastEventId, StreamQuery } from '@/lib/schemas/chat-messages';

// Never prerendered or cached: every response is a live stream.
export const dynamic = 'force-dynamic';
// LISTEN connections and timers need Node, not the edge runtime.
export const runtime = 'nodejs';

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  // no-transform keeps compression and proxies from buffering events.
  'Cache-Control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to.
  'X-Accel-Buffering': 'no',
};

export const GET = withSession({ limit: 'stream', query: StreamQuery }, async ({ req, userId, query }) => {
  // EventSource reconnects to the same URL (with the original ?since) and sends the newest id
  // in the header, so the header wins.
  const since = parseHeader(LastEventId, req.headers, 'Last-Event-ID') ?? query.since ?? null;
  // Next.js answers HEAD (curl -I, link checkers) with this handler and never reads the body,
  // so only a GET may open a stream, which holds one of the user's slots while it lasts. HEAD
  // gets the same checks and headers, without a stream.
  if (req.method !== 'GET') return new Response(null, { headers: SSE_HEADERS });
  const body = await openChatStream({ userId, since, signal: req.signal });
  return new Response(body, { headers: SSE_HEADERS });
});
