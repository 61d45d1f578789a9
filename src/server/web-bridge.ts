import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { NextRequest } from 'next/server';

/**
 * Between node:http and the Web Request/Response the route code speaks, for the requests the
 * Node entry serves itself (the chat stream, the hot reads). Bodiless requests only.
 */

/** The request as the route checks see it (method, headers, cookies, query). */
export function toNextRequest(req: IncomingMessage): NextRequest {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  return new NextRequest(new URL(req.url ?? '/', 'http://localhost'), { method: req.method, headers });
}

/** Bodies from this size on are gzipped for clients that accept it, as Next.js's `compress` does. */
const COMPRESS_FROM_BYTES = 1024;

/** True when the request's Accept-Encoding takes gzip (not refused with q=0). */
function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Writes a whole (non-streaming) Response. JSON and text vary on Accept-Encoding and are gzipped
 * from 1 KB for clients that accept it, as Next.js answers the same routes (its `compress`).
 */
export async function sendResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  let body = Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('Set-Cookie', cookies);
  const type = response.headers.get('content-type') ?? '';
  if (/^(application\/json|text\/)/i.test(type) && !response.headers.has('content-encoding')) {
    res.setHeader('Vary', 'Accept-Encoding');
    if (body.byteLength >= COMPRESS_FROM_BYTES && req.method !== 'HEAD' && acceptsGzip(req)) {
      body = gzipSync(body);
      res.setHeader('Content-Encoding', 'gzip');
    }
  }
  res.setHeader('Content-Length', body.byteLength);
  res.end(body);
}

/** The path of a request URL, without its query. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const end = url.indexOf('?');
  return end < 0 ? url : url.slice(0, end);
}
