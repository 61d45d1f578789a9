import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** Writes a whole (non-streaming) Response. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.setHeader('Content-Length', body.byteLength);
  res.end(body);
}

/** The path of a request URL, without its query. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const end = url.indexOf('?');
  return end < 0 ? url : url.slice(0, end);
}
