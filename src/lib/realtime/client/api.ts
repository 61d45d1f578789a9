import { REALTIME_PATHS } from '../protocol';
import type { ClientChatMessage } from './types';

/** The session ended (401): the page sends the user to sign in instead of retrying. */
export class SignedOutError extends Error {}

/** A JSON request to our API from the browser; 401 becomes SignedOutError, any other failure an Error. */
export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: init?.body ? { 'Content-Type': 'application/json' } : undefined,
    cache: 'no-store',
  });
  if (response.status === 401) throw new SignedOutError('signed out');
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** `GET /api/chat-messages/history`: a page of messages, read or not, with positions. */
export interface HistoryPage {
  messages: ClientChatMessage[];
  hasMore: boolean;
  lastPosition: number;
}

/** Reads the page of messages after a position (the gap-free catch-up of polling and Pusher). */
export type FetchAfter = (after: number) => Promise<Pick<HistoryPage, 'messages' | 'hasMore'>>;

const HISTORY_PAGE = 200;

/** `fetchAfter` over HTTP: `GET /api/chat-messages/history?after=<cursor>&limit=200`. */
export const fetchHistoryAfter: FetchAfter = (after) => api<HistoryPage>(`${REALTIME_PATHS.history}?after=${after}&limit=${HISTORY_PAGE}`);

/** The newest page, oldest first: what the chat shows when it opens. */
export const fetchLatest = (limit = 100): Promise<HistoryPage> => api<HistoryPage>(`${REALTIME_PATHS.history}?limit=${limit}`);
