import Pusher from 'pusher';
import { getEnv } from '@/lib/config/env';
import type { ChatMessageRow } from '@/lib/db/schema';
import { AppError } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { metrics } from '@/lib/metrics';
import { processGlobal } from '@/lib/runtime/process-global';
import type { ActivityPayload } from '@/lib/schemas/activity';
import { toAttachmentViews } from '@/lib/schemas/attachments';
import { dataObject } from './payloads';
import { PUSHER_EVENTS, PUSHER_MAX_EVENT_BYTES, serverToUserChannel, userChannel, type PusherChatEvent } from './protocol';

export type PublishableMessage = Pick<
  ChatMessageRow,
  'id' | 'userId' | 'type' | 'taskId' | 'content' | 'data' | 'createdAt' | 'position' | 'priority'
> &
  Partial<Pick<ChatMessageRow, 'attachments'>>;

/** Builds the event body, falling back to the thin form when the full one exceeds Pusher's limit. */
export function buildPusherEvent(message: PublishableMessage): PusherChatEvent {
  const base = {
    id: message.id,
    type: message.type,
    taskId: message.taskId,
    createdAt: message.createdAt.toISOString(),
    position: message.position,
    attachments: toAttachmentViews(message.attachments),
    // Kept in the thin form too: the client marks and banners a message before fetching its body.
    priority: message.priority,
  };
  const full = { ...base, content: message.content, data: dataObject(message.data) };
  if (Buffer.byteLength(JSON.stringify(full)) <= PUSHER_MAX_EVENT_BYTES) return full;
  return { ...base, truncated: true };
}

/** The error a trigger's response body reports (`{ "error": ... }`), or null when it reports none. */
function triggerRefusal(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Pusher answers `{}`; anything that is not JSON carries no error field.
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || !('error' in parsed)) return null;
  const { error, code } = parsed as { error: unknown; code?: unknown };
  if (error === null || error === undefined || error === false) return null;
  // The message is Pusher's own text about the request, never our secret; cut to keep logs short.
  const text = typeof error === 'string' ? error : JSON.stringify(error);
  return `${text.slice(0, 200)}${code === undefined ? '' : ` (code ${String(code)})`}`;
}

/** The client, null once found unconfigured, undefined before the first use. */
const pusherClient = processGlobal<Pusher | null>('pusher');

/** The configured Pusher client, or null when any of the four PUSHER_* variables is unset. */
export function getPusher(): Pusher | null {
  const current = pusherClient.get();
  if (current !== undefined) return current;
  const env = getEnv();
  if (!env.isPusherConfigured) {
    getLogger().info('Pusher is not configured; chat messages are stored and delivered by SSE or polling');
    pusherClient.set(null);
    return null;
  }
  const client = new Pusher({
    appId: env.PUSHER_APP_ID!,
    key: env.PUSHER_KEY!,
    secret: env.PUSHER_SECRET!,
    cluster: env.PUSHER_CLUSTER!,
    ...(env.PUSHER_HOST ? { host: env.PUSHER_HOST } : {}),
    ...(env.PUSHER_PORT ? { port: String(env.PUSHER_PORT) } : {}),
    useTLS: env.PUSHER_USE_TLS ?? !env.PUSHER_HOST,
    timeout: env.PUSHER_TIMEOUT_MS,
  });
  pusherClient.set(client);
  return client;
}

/** Forgets the cached client so the next call re-reads the environment (tests). */
export function resetPusher(): void {
  pusherClient.set(undefined);
}

/**
 * Where a user's events go: always to the connections signed in as the user (`#server-to-user-{id}`,
 * what `sendToUser` sends to), and to `private-user-{id}` too unless PUSHER_PRIVATE_CHANNEL=false.
 */
export function userEventChannels(userId: string): string[] {
  const toUser = serverToUserChannel(userId);
  return getEnv().PUSHER_PRIVATE_CHANNEL ? [userChannel(userId), toUser] : [toUser];
}

/**
 * One trigger of `event` to the user's channels (`userEventChannels`): a single HTTP call. The SDK's
 * `trigger` refuses the `#` of `#server-to-user-` and `sendToUser` takes one user only, so this posts
 * the very body both of them post to `/events` (`{ name, data, channels }`, data JSON-encoded).
 */
function triggerToUser(pusher: Pusher, userId: string, event: string, data: unknown): ReturnType<Pusher['post']> {
  const body = { name: event, data: JSON.stringify(data), channels: userEventChannels(userId) };
  // The SDK types `body` as a string but JSON-encodes (and signs) whatever it is given, as its own
  // `trigger` passes this very object (node_modules/pusher/lib/events.js, requests.js).
  return pusher.post({ path: '/events', body: body as unknown as string });
}

/**
 * One call to Pusher's HTTP API, answered in full within PUSHER_TIMEOUT_MS (+500 ms). The SDK aborts
 * its own request at `timeout`; the race is a second guard against a hang anywhere else in the call
 * (DNS, a stalled body). Throws on an HTTP error, and when the body refuses: Soketi (the self-hosted
 * Pusher server) answers a refused call (wrong signature, unknown app, over its limits) with 200 and
 * `{ "error": ..., "code": 401 }`. `refused` names the call in that error.
 */
async function callPusher(call: () => ReturnType<Pusher['post']>, refused: string): Promise<void> {
  const timeoutMs = getEnv().PUSHER_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Pusher did not answer within ${timeoutMs} ms`)), timeoutMs + 500);
  });
  try {
    const response = await Promise.race([call(), hung]);
    if (response.status >= 300) throw new Error(`Pusher answered HTTP ${response.status}`);
    const refusal = triggerRefusal(await Promise.race([response.text(), hung]));
    if (refusal) throw new Error(`${refused}: ${refusal}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Triggers `chat-message` (PUSHER_EVENTS.chatMessage) on the user's channels (`userEventChannels`). Never throws: a failure or a hang
 * past PUSHER_TIMEOUT_MS is logged and reported as `false`, because the message is already stored.
 */
export async function publishToPusher(message: PublishableMessage): Promise<boolean> {
  const pusher = getPusher();
  if (!pusher) return false;
  try {
    await callPusher(
      () => triggerToUser(pusher, message.userId, PUSHER_EVENTS.chatMessage, buildPusherEvent(message)),
      'Pusher refused the trigger',
    );
    metrics.published('pusher');
    return true;
  } catch (err) {
    metrics.publishFailed('pusher');
    getLogger().error(
      { err: err instanceof Error ? err.message : String(err), messageId: message.id },
      'Pusher trigger failed; the message is stored and will reach the user by other means',
    );
    return false;
  }
}

/**
 * Triggers `agent-activity` on the user's channels (`userEventChannels`). Never throws; false when Pusher is
 * unconfigured or the trigger failed (an activity is ephemeral: it is not retried).
 */
export async function publishActivityToPusher(userId: string, activity: ActivityPayload): Promise<boolean> {
  const pusher = getPusher();
  if (!pusher) return false;
  try {
    await callPusher(() => triggerToUser(pusher, userId, PUSHER_EVENTS.agentActivity, activity), 'Pusher refused the trigger');
    return true;
  } catch (err) {
    getLogger().warn({ err: err instanceof Error ? err.message : String(err), userId }, 'Pusher activity trigger failed');
    return false;
  }
}

/**
 * Signs a subscription of `socketId` to `channel` for `userId`, using the SDK's own signing.
 * @throws AppError `service_unavailable` when Pusher is not configured, `forbidden` for any
 *   channel but the user's own `private-user-{userId}`, and for every channel when
 *   PUSHER_PRIVATE_CHANNEL=false (strict: events reach signed-in connections only).
 */
export function authorizeUserChannel(userId: string, socketId: string, channel: string): { auth: string } {
  const pusher = getPusher();
  if (!pusher) throw new AppError('service_unavailable', 'Pusher is not configured on this server');
  if (!getEnv().PUSHER_PRIVATE_CHANNEL)
    throw new AppError(
      'forbidden',
      'Private channels are turned off on this server (PUSHER_PRIVATE_CHANNEL=false): sign the connection in (pusher.signin(), /api/pusher/user-auth) and bind pusher.user to receive your events',
    );
  if (channel !== userChannel(userId)) throw new AppError('forbidden', 'You may only subscribe to your own channel');
  return pusher.authorizeChannel(socketId, channel);
}

/**
 * Signs the Pusher connection `socketId` in as `userId` (pusher-js `signin()`), so that
 * `endPusherConnectionsOf` can close it. The user data is the id only: nothing else is sent to Pusher.
 * @throws AppError `service_unavailable` when Pusher is not configured.
 */
export function authenticatePusherUser(userId: string, socketId: string): { auth: string; user_data: string } {
  const pusher = getPusher();
  if (!pusher) throw new AppError('service_unavailable', 'Pusher is not configured on this server');
  return pusher.authenticateUser(socketId, { id: userId });
}

/**
 * Closes every Pusher connection signed in as the user (after a sign-out, a password change or an
 * account deletion): channel subscriptions are authorized once, at subscribe time, so without this a
 * connection would keep receiving the user's channel after the session that opened it ended. Only
 * connections that signed in are found, hence the server setting that closes those that never do
 * (README, "Pusher"). Never throws: a failure is logged (no secrets: the SDK's message and the
 * status only) and the caller's sign-out goes on; false when Pusher is unconfigured or it failed.
 */
export async function endPusherConnectionsOf(userId: string): Promise<boolean> {
  const pusher = getPusher();
  if (!pusher) return false;
  try {
    await callPusher(() => pusher.terminateUserConnections(userId), 'Pusher refused to terminate the connections');
    return true;
  } catch (err) {
    getLogger().warn(
      { err: err instanceof Error ? err.message : String(err), userId },
      "Pusher did not terminate the user's connections; they end when the server closes them",
    );
    return false;
  }
}
