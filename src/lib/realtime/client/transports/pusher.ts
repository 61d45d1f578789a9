import type { ActivityPayload } from '@/lib/schemas/activity';
import type { BrowserPusherSettings } from '@/lib/config/client-env';
import { PUSHER_EVENTS, REALTIME_PATHS, serverToUserChannel, type PusherChatEvent } from '../../protocol';
import type { FetchAfter } from '../api';
import { catchUp, type Transport } from './transport';

/** The part of pusher-js the transport uses (tests pass a fake). */
export interface PusherLike {
  /** Events sent to the signed-in user (`#server-to-user-{id}`), and `pusher:signin_error`. */
  user: { bind(event: string, callback: (data: never) => void): void };
  connection: {
    bind(event: 'state_change', callback: (change: { current: string }) => void): void;
    /** Every protocol message the connection receives (`pusher_internal:*` included). */
    bind(event: 'message', callback: (message: { event: string; channel?: string }) => void): void;
  };
  /** Asks for user authentication (`userAuthentication`), now and after every reconnect. */
  signin(): void;
  disconnect(): void;
}

/** The pusher-js options the transport sets (a subset of pusher-js's own `Options`). */
export interface PusherOptions {
  cluster: string;
  channelAuthorization: { endpoint: string; transport: 'ajax' };
  userAuthentication: { endpoint: string; transport: 'ajax' };
  wsHost?: string;
  wsPort?: number;
  wssPort?: number;
  forceTLS?: boolean;
  enabledTransports?: Array<'ws' | 'wss'>;
}

export type PusherClass = new (key: string, options: PusherOptions) => PusherLike;

/**
 * pusher-js options for the browser's settings. The cloud needs only the cluster (pusher-js knows
 * its hosts and may fall back to HTTP streaming there); a self-hosted server is reached on its host
 * and port over WebSockets only, as Pusher-protocol servers such as Soketi serve no HTTP fallback.
 */
export function pusherOptions(settings: BrowserPusherSettings): PusherOptions {
  const base: PusherOptions = {
    cluster: settings.cluster,
    channelAuthorization: { endpoint: REALTIME_PATHS.pusherAuth, transport: 'ajax' },
    userAuthentication: { endpoint: REALTIME_PATHS.pusherUserAuth, transport: 'ajax' },
    forceTLS: settings.useTLS,
  };
  if (!settings.host) return base;
  return {
    ...base,
    wsHost: settings.host,
    wsPort: settings.port ?? 80,
    wssPort: settings.port ?? 443,
    enabledTransports: ['ws', 'wss'],
  };
}

/** Loaded on demand: pusher-js is only downloaded by browsers that use it. */
const loadPusherJs = async (): Promise<PusherClass> => (await import('pusher-js')).default as unknown as PusherClass;

/** After an event, the catch-up waits this long so that a burst of events costs one request. */
const GAP_FILL_DELAY_MS = 200;
/** Pusher carries no read events between tabs; the count is refreshed this often instead. */
const COUNT_REFRESH_MS = 30_000;

/**
 * Pusher events sent to the signed-in user (`sendToUser`), never the private channel: the server
 * delivers them only to connections signed in as the user, so when the user's sessions end
 * (`terminateUserConnections`) nothing keeps receiving. Each event is shown at once (without moving
 * the cursor), then the history from the cursor fills whatever Pusher did not deliver and brings
 * the body of thin (over 10 KB) events.
 *
 * The connection signs in (`signin()`, answered by `/api/pusher/user-auth`); pusher-js then joins
 * `#server-to-user-{id}`, and once the server confirms that, nothing is missed from here on: the
 * transport goes live and catches up from the cursor (again after every reconnect).
 *
 * Pusher unreachable (pusher-js has already retried for about 10 s by then), the script not loaded,
 * the sign-in refused (`pusher:signin_error`: the session ended, or the endpoint failed), or the
 * connection closed by the server (code 4009 after a terminate or a refused sign-in, which
 * pusher-js answers by disconnecting): the ladder moves on to the stream and tries Pusher again
 * later, since each of these can pass. Only a browser without WebSockets fails for good.
 */
export function pusherTransport(deps: {
  settings: BrowserPusherSettings;
  userId: string;
  fetchAfter: FetchAfter;
  loadPusher?: () => Promise<PusherClass>;
}): Transport {
  return {
    name: 'pusher',
    start(cursor, sink) {
      let stopped = false;
      let client: PusherLike | undefined;
      let gapTimer: ReturnType<typeof setTimeout> | undefined;
      let countTimer: ReturnType<typeof setInterval> | undefined;
      const fillGaps = () => {
        clearTimeout(gapTimer);
        gapTimer = setTimeout(
          () => void catchUp(deps.fetchAfter, cursor, sink).catch((err: unknown) => sink.error(err)),
          GAP_FILL_DELAY_MS,
        );
      };
      void (deps.loadPusher ?? loadPusherJs)().then(
        (Pusher) => {
          if (stopped) return;
          client = new Pusher(deps.settings.key, pusherOptions(deps.settings));
          const toUser = serverToUserChannel(deps.userId);
          // Only once the server has the connection on the user's channel is nothing missed from
          // here on: catch up from the cursor then.
          client.connection.bind('message', ({ event, channel }) => {
            if (event !== PUSHER_EVENTS.internalSubscriptionSucceeded || channel !== toUser) return;
            sink.state('live');
            fillGaps();
          });
          client.user.bind(PUSHER_EVENTS.chatMessage, (event: PusherChatEvent) => {
            if (!('truncated' in event))
              sink.messages(
                [
                  {
                    ...event,
                    data: event.data ?? {},
                    attachments: event.attachments ?? [],
                    priority: event.priority ?? 'NORMAL',
                    read: false,
                  },
                ],
                {
                  advanceCursor: false,
                },
              );
            fillGaps();
          });
          client.user.bind(PUSHER_EVENTS.agentActivity, (activity: ActivityPayload) => sink.activity?.(activity));
          // A refused sign-in leaves a connection that receives nothing: let the stream take over.
          client.user.bind(PUSHER_EVENTS.signinError, () => {
            if (!stopped) sink.failed({ retry: true });
          });
          client.connection.bind('state_change', ({ current }) => {
            // Our own disconnect() comes through here too, after `stopped` is set.
            if (stopped) return;
            if (current === 'connecting') sink.state('reconnecting');
            if (current === 'unavailable' || current === 'disconnected') sink.failed({ retry: true });
            if (current === 'failed') sink.failed({ retry: false });
          });
          client.signin();
          countTimer = setInterval(() => sink.countChanged(), COUNT_REFRESH_MS);
        },
        // The script could not be loaded (offline, a deploy replaced the chunk): the stream takes over.
        () => {
          if (!stopped) sink.failed({ retry: true });
        },
      );
      return () => {
        stopped = true;
        clearTimeout(gapTimer);
        clearInterval(countTimer);
        client?.disconnect();
      };
    },
  };
}
