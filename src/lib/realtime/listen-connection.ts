import pg from 'pg';
import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { Backoff } from './backoff';
import { NOTIFY_CHANNEL, parseNotification, type Notification } from './notification';

/**
 * The receiving end of the fan-out: one dedicated LISTEN connection per process (a `pg.Client`,
 * not from the pool, so it is never handed to a query and never recycled). It reconnects with
 * capped, jittered exponential backoff; after every (re)connection its owner re-syncs, so
 * nothing committed while it was down is lost.
 */

/** The LISTEN connection's state, for tests and diagnostics. */
export type ListenerState = 'idle' | 'connecting' | 'listening' | 'reconnecting' | 'stopped';

export interface ListenHandlers {
  /** A notification understood on the channel. */
  onNotification: (notification: Notification) => void;
  /** LISTEN is in place: every later commit will be announced; earlier ones must be read from the table. */
  onListening: () => void;
}

/** A LISTEN connection that silently died (half-open TCP) is only noticed by using it. */
const PING_INTERVAL_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;

export class ListenConnection {
  state: ListenerState = 'idle';
  private client?: pg.Client;
  private readonly backoff = new Backoff({ minMs: 250, maxMs: 10_000, jitter: true });
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;

  constructor(
    readonly pool: pg.Pool,
    private readonly handlers: ListenHandlers,
  ) {}

  start(): void {
    if (this.state === 'idle') void this.connect();
  }

  /** Read through a getter: TypeScript would otherwise keep the narrowing from before an await. */
  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  private onPayload(payload: string): void {
    const notification = parseNotification(payload);
    if (!notification) {
      // Someone else may NOTIFY on this channel; never let a stray payload break delivery.
      getLogger().warn({ channel: NOTIFY_CHANNEL }, 'ignoring a malformed notification');
      return;
    }
    this.handlers.onNotification(notification);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.state = this.backoff.attempt === 0 ? 'connecting' : 'reconnecting';
    const client = new pg.Client({
      connectionString: this.pool.options.connectionString,
      ssl: this.pool.options.ssl,
      application_name: 'chat-fanout-listener',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    this.client = client;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      clearInterval(this.pingTimer);
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.client === client) this.client = undefined;
      if (this.stopped) return;
      getLogger().warn({ err: rootCauseMessage(err), attempt: this.backoff.attempt }, 'chat LISTEN connection lost; reconnecting');
      this.scheduleReconnect();
    };
    // Without an 'error' listener a dropped connection (PostgreSQL restart) would crash the process.
    client.on('error', fail);
    client.on('end', () => fail(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === NOTIFY_CHANNEL && message.payload) this.onPayload(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (err) {
      fail(err);
      return;
    }
    if (failed) return;
    if (this.stopped) {
      client.end().catch(() => {});
      return;
    }
    this.state = 'listening';
    this.backoff.reset();
    this.pingTimer = setInterval(() => {
      client.query('SELECT 1').catch(fail);
    }, PING_INTERVAL_MS);
    this.pingTimer.unref();
    // Only now is every later commit announced to us; whatever committed before (including
    // during a gap) is picked up by loading each subscriber from its cursor.
    this.handlers.onListening();
  }

  private scheduleReconnect(): void {
    this.state = 'reconnecting';
    this.reconnectTimer = setTimeout(() => void this.connect(), this.backoff.next());
    this.reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('notification');
      await client.end().catch(() => {});
    }
  }
}
