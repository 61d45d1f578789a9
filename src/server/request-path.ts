import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Next.js percent-decodes the path to route it, and answers a path that does not decode to UTF-8
 * (`/api/chat-messages/%FF`) with a plain-text 500 before any route handler runs. Our entry sees
 * every request first, so it refuses such paths itself: a JSON 400 under /api (the API's error
 * shape), plain text elsewhere.
 */

/** True when the path of `url` (a request target: path and query) percent-decodes to UTF-8. */
export function isDecodablePath(url: string): boolean {
  const end = url.search(/[?#]/);
  try {
    decodeURIComponent(end < 0 ? url : url.slice(0, end));
    return true;
  } catch {
    return false;
  }
}

/** Answers 400 and returns true when the request's path does not decode; false otherwise. */
export function refuseUndecodablePath(req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? '/';
  if (isDecodablePath(url)) return false;
  const message = 'The request path is not valid percent-encoded UTF-8';
  res.statusCode = 400;
  res.setHeader('Cache-Control', 'no-store');
  if (url.startsWith('/api/') || url === '/api') {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ error: { code: 'invalid_input', message } }));
  } else {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`${message}\n`);
  }
  return true;
}
