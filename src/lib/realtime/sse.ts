/**
 * Server-Sent Events wire format (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * Every `data` we send is one line of JSON (JSON.stringify escapes newlines), so one `data:`
 * line per event is enough and a message's content can never break the framing.
 */

/** One event: optional `id` (the client's Last-Event-ID on reconnect), `event` name, JSON data. */
export function sseEvent(event: string, data: unknown, id?: number): string {
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by EventSource, but it keeps proxies and the TCP connection busy. */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** Tells EventSource how long to wait before reconnecting after the stream ends or drops. */
export function sseRetry(milliseconds: number): string {
  return `retry: ${milliseconds}\n\n`;
}
