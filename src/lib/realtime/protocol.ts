import type { AttachmentView } from '@/lib/schemas/attachments';
import type { ChatMessagePriorityName, ChatMessageTypeName } from '@/lib/db/schema';

/**
 * The real-time protocol: channel and event names and the payloads they carry, written once for
 * the server (Pusher trigger, SSE stream, NOTIFY fan-out) and the browser (useChatMessages).
 * Pure: no runtime imports (the one import is a type, erased at build), so the browser bundle
 * can take it whole.
 */

/** The private Pusher channel of one user; only that user is authorized for it (`/api/pusher/auth`). */
export function userChannel(userId: string): string {
  return `private-user-${userId}`;
}

/**
 * Pusher's channel of events sent to a user (`sendToUser`): the server delivers them only to
 * connections signed in as that user (`pusher.signin()`), and pusher-js hands them to `pusher.user`.
 */
export function serverToUserChannel(userId: string): string {
  return `#server-to-user-${userId}`;
}

/** Events on a user's Pusher channels (the private one and the server-to-user one). */
export const PUSHER_EVENTS = {
  /** A stored message (`PusherChatEvent`). */
  chatMessage: 'chat-message',
  /** The agent's live activity (`ActivityPayload`, src/lib/schemas/activity.ts); never stored. */
  agentActivity: 'agent-activity',
  /** pusher-js's own event once a channel subscription is authorized and live. */
  subscriptionSucceeded: 'pusher:subscription_succeeded',
  /** The server's confirmation of a subscription, as it arrives on the connection (any channel). */
  internalSubscriptionSucceeded: 'pusher_internal:subscription_succeeded',
  /** pusher-js's event on `pusher.user` when the sign-in endpoint refused or failed. */
  signinError: 'pusher:signin_error',
} as const;

/** Events of the SSE stream `GET /api/chat-messages/stream`. */
export const SSE_EVENTS = {
  /** A stored message (`ChatMessagePayload`); its SSE id is the message's position. */
  chatMessage: 'chat-message',
  /** Replay done, live from here (`ReadyPayload`). */
  ready: 'ready',
  /** Messages were marked read, in this or another tab (`ReadChange`). */
  read: 'read',
  /** The agent's live activity (`ActivityPayload`), without an id: it never moves the cursor. */
  activity: 'activity',
  /**
   * The stream's session ended (signed out, password changed elsewhere, account deleted): the
   * last event before the server closes the stream. Data `{}`. The client must not reconnect.
   */
  sessionEnded: 'session-ended',
} as const;

/** Endpoints the browser's transports talk to. */
export const REALTIME_PATHS = {
  stream: '/api/chat-messages/stream',
  history: '/api/chat-messages/history',
  pusherAuth: '/api/pusher/auth',
  /** Signs a Pusher connection in as the session's user (`pusher.signin()`). */
  pusherUserAuth: '/api/pusher/user-auth',
} as const;

/** A message as the SSE stream, the history endpoint and `by-id` send it. `data` is `{}` when the sender gave none. */
export interface ChatMessagePayload {
  id: string;
  type: ChatMessageTypeName;
  taskId: string | null;
  content: string;
  data: Record<string, unknown>;
  createdAt: string;
  /** The message's files, `[]` when none. */
  attachments: AttachmentView[];
  read: boolean;
  /** The user's per-message position: the client's cursor and the SSE event id. */
  position: number;
  /** LOW, NORMAL, HIGH or URGENT (an addition to the guide's shapes). */
  priority: ChatMessagePriorityName;
}

/** A read-state change of one user: these messages, or every message up to a position (mark-all). */
export type ReadChange = { ids: string[]; positions: number[] } | { upTo: number };

/** What `ready` carries: the position the stream is live from (the client's cursor). */
export interface ReadyPayload {
  position: number;
}

/** Pusher refuses event payloads over 10 KB; bigger messages go out as a thin event. */
export const PUSHER_MAX_EVENT_BYTES = 10_240;

/**
 * What a Pusher `chat-message` event carries: the message (`data` `{}` when the sender gave none),
 * or over PUSHER_MAX_EVENT_BYTES a thin stub whose body the client fetches.
 */
export type PusherChatEvent =
  | Omit<ChatMessagePayload, 'read'>
  | {
      id: string;
      type: ChatMessageTypeName;
      taskId: string | null;
      createdAt: string;
      position: number;
      /** The thin event lists the files too (never bodies). */
      attachments: AttachmentView[];
      priority: ChatMessagePriorityName;
      truncated: true;
    };
