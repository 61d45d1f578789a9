import type { NextRequest } from 'next/server';
import type { z } from 'zod';
import { LastEventId, StreamQuery } from '@/lib/schemas/chat-messages';
import type { RouteSpec } from './route';
import { parseHeader } from './schemas';

/**
 * `GET /api/chat-messages/stream`, the part both servers of it share: the app's Node entry
 * (src/server/chat-stream.ts), which serves it in production and development, and the route
 * handler (src/app/api/chat-messages/stream/route.ts), the documented contract, which answers
 * only what the entry passes on to Next.js. Same checks (`checkRoute` with this spec), same
 * cursor, same headers.
 */

export const CHAT_STREAM_PATH = '/api/chat-messages/stream';

export const chatStreamRoute = { auth: 'session', limit: 'stream', query: StreamQuery } satisfies RouteSpec<
  typeof StreamQuery,
  z.ZodType<undefined>,
  z.ZodType<undefined>,
  z.ZodType<unknown>
>;

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  // no-transform keeps compression and proxies from buffering events.
  'Cache-Control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to.
  'X-Accel-Buffering': 'no',
};

/**
 * Where the stream starts: EventSource reconnects to the same URL (with the original ?since) and
 * sends the newest id in the Last-Event-ID header, so the header wins; null: no history.
 */
export function streamCursor(req: NextRequest, query: z.output<typeof StreamQuery>): number | null {
  return parseHeader(LastEventId, req.headers, 'Last-Event-ID') ?? query.since ?? null;
}
