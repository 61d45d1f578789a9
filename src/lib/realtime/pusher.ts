import Pusher from 'pusher';
import { getEnv } from '@/lib/config/env';
import { AppError } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';

/** Pusher refuses event payloads over 10 KB; bigger messages go out as a thin event. */
export const PUSHER_MAX_EVENT_BYTES = 10_240;
export const CHAT_MESSAGE_EVENT = 'chat-message';

/** The private channel of one user; only that user may subscribe (see /api/pusher/auth). */
export function userChannel(userId: string): string {
  return `private-user-${userId}`;
}

/** What a `chat-message` event carries: the message, or a thin stub the client fetches by id. */
export type PusherChatEvent =
  | { id: string; type: string; taskId: string | null; content: string; data: unknown; createdAt: string; position: number }
  | { id: string; type: string; taskId: string | null; createdAt: string; position: number; truncated: true };

export interface PublishableMessage {
  id: string;
  userId: string;
  type: string;
  taskId: string | null;
  content: string;
  data: unknown;
  createdAt: Date;
  position: number;
}

/** Builds the event body, falling back to the thin form when the full one exceeds Pusher's limit. */
export function buildPusherEvent(message: PublishableMessage): PusherChatEvent {
  const base = {
    id: message.id,
    type: message.type,
    taskId: message.taskId,
    createdAt: message.createdAt.toISOString(),
    position: message.position,
  };
  const full = { ...base, content: message.content, data: message.data ?? null };
  if (Buffer.byteLength(JSON.stringify(full)) <= PUSHER_MAX_EVENT_BYTES) return full;
  return { ...base, truncated: true };
}

const globalForPusher = globalThis as unknown as { __chatPusher?: Pusher | null };

/** The configured Pusher client, or null when any of the four PUSHER_* variables is unset. */
export function getPusher(): Pusher | null {
  if (globalForPusher.__chatPusher !== undefined) return globalForPusher.__chatPusher;
  const env = getEnv();
  if (!env.isPusherConfigured) {
    getLogger().info('Pusher is not configured; chat messages are stored and delivered by SSE or polling');
    globalForPusher.__chatPusher = null;
    return null;
  }
  globalForPusher.__chatPusher = new Pusher({
    appId: env.PUSHER_APP_ID!,
    key: env.PUSHER_KEY!,
    secret: env.PUSHER_SECRET!,
    cluster: env.PUSHER_CLUSTER!,
    ...(env.PUSHER_HOST ? { host: env.PUSHER_HOST } : {}),
    ...(env.PUSHER_PORT ? { port: String(env.PUSHER_PORT) } : {}),
    useTLS: env.PUSHER_USE_TLS ?? !env.PUSHER_HOST,
    timeout: env.PUSHER_TIMEOUT_MS,
  });
  return globalForPusher.__chatPusher;
}

/** Forgets the cached client so the next call re-reads the environment (tests). */
export function resetPusher(): void {
  globalForPusher.__chatPusher = undefined;
}

/**
 * Triggers `chat-message` on the user's private channel. Never throws: a failure or a hang
 * past PUSHER_TIMEOUT_MS is logged and reported as `false`, because the message is already stored.
 */
export async function publishToPusher(message: PublishableMessage): Promise<boolean> {
  const pusher = getPusher();
  if (!pusher) return false;
  const timeoutMs = getEnv().PUSHER_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    // The SDK aborts its own request at `timeout`; the race is a second guard against a hang
    // anywhere else in the call (DNS, a stalled body).
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Pusher did not answer within ${timeoutMs} ms`)), timeoutMs + 500);
    });
    const response = await Promise.race([
      pusher.trigger(userChannel(message.userId), CHAT_MESSAGE_EVENT, buildPusherEvent(message)),
      hung,
    ]);
    if (response.status >= 300) throw new Error(`Pusher answered HTTP ${response.status}`);
    return true;
  } catch (err) {
    getLogger().error(
      { err: err instanceof Error ? err.message : String(err), messageId: message.id },
      'Pusher trigger failed; the message is stored and will reach the user by other means',
    );
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Signs a subscription of `socketId` to `channel` for `userId`, using the SDK's own signing.
 * @throws AppError `service_unavailable` when Pusher is not configured, `forbidden` for any
 *   channel but the user's own `private-user-{userId}`.
 */
export function authorizeUserChannel(userId: string, socketId: string, channel: string): { auth: string } {
  const pusher = getPusher();
  if (!pusher) throw new AppError('service_unavailable', 'Pusher is not configured on this server');
  if (channel !== userChannel(userId)) throw new AppError('forbidden', 'You may only subscribe to your own channel');
  return pusher.authorizeChannel(socketId, channel);
}
