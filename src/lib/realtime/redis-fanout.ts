import { Redis } from 'ioredis';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';
import { offShutdown, onShutdown } from '@/lib/runtime/shutdown';
import { backoffDelay } from './backoff';
import type { ListenerState, ListenHandlers } from './listen-connection';
import { NOTIFY_CHANNEL, parseNotification } from './notification';

/**
 * The fan-out over Redis pub/sub (FANOUT=redis): the same notifications as NOTIFY, on the Redis
 * channel `chat_messages`, for deployments with many instances (a NOTIFY takes a database-wide
 * lock at commit; a Redis PUBLISH costs the database nothing). The guarantee is the same as with
 * NOTIFY: a notification only wakes; every stream reads from its cursor in PostgreSQL, and after
 * every (re)subscription every local stream re-syncs from its cursor, so a Redis restart or a lost
 * notification delays a message and never loses it.
 */

const RECONNECT = { minMs: 250, maxMs: 10_000, jitter: true };
/** How long a publish may wait for the very first connection of the process. */
const FIRST_CONNECT_WAIT_MS = 2_000;
/** A PUBLISH that takes longer is abandoned (the message is stored; streams catch up on the next event or re-sync). */
const PUBLISH_TIMEOUT_MS = 2_000;

/** The subscribing side: one Redis connection per process in subscriber mode, reconnecting with backoff. */
export class RedisSubscription {
  state: ListenerState = 'idle';
  private client?: Redis;

  constructor(
    readonly url: string,
    private readonly handlers: ListenHandlers,
  ) {}

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'connecting';
    const client = new Redis(this.url, {
      connectionName: 'chat-fanout-subscriber',
      // We subscribe ourselves after every 'ready', then re-sync: ioredis's own re-subscription
      // would not tell us when the channel is in place again.
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      retryStrategy: (times) => backoffDelay(times - 1, RECONNECT),
    });
    this.client = client;
    let lastError = '';
    client.on('error', (err: unknown) => {
      // ioredis reports every failed reconnect attempt; log each distinct cause once per outage.
      const message = rootCauseMessage(err);
      if (message === lastError) return;
      lastError = message;
      getLogger().warn({ err: message }, 'chat fan-out Redis subscriber error; reconnecting');
    });
    client.on('close', () => {
      if (this.state === 'listening') this.state = 'reconnecting';
    });
    client.on('message', (channel: string, payload: string) => {
      if (channel !== NOTIFY_CHANNEL) return;
      const notification = parseNotification(payload);
      if (!notification) {
        getLogger().warn({ channel }, 'ignoring a malformed notification');
        return;
      }
      this.handlers.onNotification(notification);
    });
    client.on('ready', () => {
      client.subscribe(NOTIFY_CHANNEL).then(
        () => {
          if (this.state === 'stopped') return;
          lastError = '';
          this.state = 'listening';
          // Only now is every later publish heard; what committed before is read from the table.
          this.handlers.onListening();
        },
        (err: unknown) => {
          getLogger().warn({ err: rootCauseMessage(err) }, 'chat fan-out Redis SUBSCRIBE failed; reconnecting');
          client.disconnect(true);
        },
      );
    });
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    const client = this.client;
    this.client = undefined;
    client?.removeAllListeners('message');
    client?.disconnect();
  }
}

interface PublisherSlot {
  url: string;
  client: Redis;
  everReady: boolean;
}

const publisherSlot = processGlobal<PublisherSlot>('fanout.redis-publisher');

function publisher(url: string): PublisherSlot {
  const current = publisherSlot.get();
  if (current && current.url === url) return current;
  current?.client.disconnect();
  const client = new Redis(url, {
    connectionName: 'chat-fanout-publisher',
    maxRetriesPerRequest: 1,
    commandTimeout: PUBLISH_TIMEOUT_MS,
    retryStrategy: (times) => backoffDelay(times - 1, RECONNECT),
  });
  const slot: PublisherSlot = { url, client, everReady: false };
  client.on('ready', () => (slot.everReady = true));
  // Failures reach the caller through the rejected PUBLISH; without a listener ioredis would log each one.
  client.on('error', () => {});
  publisherSlot.set(slot);
  onShutdown('fanout-redis-publisher', 'connections', stopRedisPublisher);
  return slot;
}

/**
 * PUBLISHes each payload on the channel (one pipeline). While Redis is unreachable it fails at
 * once rather than holding the send (only the process's first connection is waited for, briefly).
 */
export async function redisPublish(url: string, payloads: readonly string[]): Promise<void> {
  const slot = publisher(url);
  const { client } = slot;
  if (client.status !== 'ready') {
    if (slot.everReady) throw new Error(`Redis is not connected (${client.status})`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(new Error('Redis did not answer in time'));
      }, FIRST_CONNECT_WAIT_MS);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', onReady);
    });
  }
  const pipeline = client.pipeline();
  for (const payload of payloads) pipeline.publish(NOTIFY_CHANNEL, payload);
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}

/** Closes the publishing connection (shutdown, tests). */
export async function stopRedisPublisher(): Promise<void> {
  const current = publisherSlot.get();
  publisherSlot.set(undefined);
  offShutdown('fanout-redis-publisher');
  current?.client.disconnect();
}
