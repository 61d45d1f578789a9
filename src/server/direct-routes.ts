import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHAT_READ_ENDPOINTS } from '@/lib/http/chat-read-endpoints';
import { toErrorResponse } from '@/lib/http/errors';
import { pathOf, sendResponse, toNextRequest } from './web-bridge';

/**
 * The GETs a polling tab makes (GET /api/chat-messages, /history and /unread-count),
 * served by the Node entry before Next.js with their route handlers
 * (src/lib/http/chat-read-endpoints.ts): same checks, limits, bodies and error table. Next.js's
 * per-request runtime cost more CPU than the reads themselves (bench/ANALYSIS.md, read path and
 * polling), which capped an instance's polling users. Other methods and paths go on to Next.js.
 */

type Handler = (typeof CHAT_READ_ENDPOINTS)[keyof typeof CHAT_READ_ENDPOINTS];

const NO_PARAMS = { params: Promise.resolve({}) };

/** The handler that serves this request here, or undefined to pass it on to Next.js. */
export function directRoute(req: IncomingMessage): Handler | undefined {
  if (req.method !== 'GET') return undefined;
  const path = pathOf(req);
  return Object.hasOwn(CHAT_READ_ENDPOINTS, path) ? CHAT_READ_ENDPOINTS[path as keyof typeof CHAT_READ_ENDPOINTS] : undefined;
}

/** Answers a request `directRoute` accepted. Never rejects. */
export async function serveDirect(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await sendResponse(req, res, await handler(toNextRequest(req), NO_PARAMS));
  } catch (err) {
    // The handler maps its own errors; this is only a failure to write the answer.
    if (!res.headersSent) await sendResponse(req, res, toErrorResponse(err, { method: 'GET', path: pathOf(req) }));
    else res.destroy();
  }
}
