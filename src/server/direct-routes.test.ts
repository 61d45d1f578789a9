import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { getHistory, getUnreadCount, getUnreadList } from '@/lib/http/chat-read-endpoints';
import { directRoute } from './direct-routes';

const request = (method: string, url: string) => ({ method, url }) as IncomingMessage;

describe('which requests the Node entry serves before Next.js', () => {
  it('takes a GET of the three polling reads, whatever the query', () => {
    expect(directRoute(request('GET', '/api/chat-messages'))).toBe(getUnreadList);
    expect(directRoute(request('GET', '/api/chat-messages?limit=5&minPriority=high'))).toBe(getUnreadList);
    expect(directRoute(request('GET', '/api/chat-messages/history?after=3'))).toBe(getHistory);
    expect(directRoute(request('GET', '/api/chat-messages/unread-count'))).toBe(getUnreadCount);
  });

  it('passes every other method, path and spelling on to Next.js', () => {
    for (const [method, url] of [
      ['POST', '/api/chat-messages'],
      ['HEAD', '/api/chat-messages/unread-count'],
      ['OPTIONS', '/api/chat-messages/history'],
      ['GET', '/api/chat-messages/'],
      ['GET', '/api/chat-messages/stream'],
      ['GET', '/api/chat-messages/by-id/abc'],
      ['GET', '/API/chat-messages'],
      ['GET', '/api/chat-messages/constructor'],
      ['GET', '/api/chat-messages/history/'],
    ] as const) {
      expect(directRoute(request(method, url)), `${method} ${url}`).toBeUndefined();
    }
  });
});
