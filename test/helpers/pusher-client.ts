import PusherClient from 'pusher-js';

// The real pusher-js client, run in Node against the tests' Pusher-protocol server: what a test
// asserts about published events is what a subscriber of the channel actually received.

export interface ReceivedEvent {
  event: string;
  data: unknown;
}

/** Signs a subscription: the app's `/api/pusher/auth`, or `authorizeUserChannel` in-process. */
export type ChannelAuthorizer = (socketId: string, channel: string) => Promise<{ auth: string }> | { auth: string };

/** Signs the connection in as a user: the app's `/api/pusher/user-auth`, or `authenticatePusherUser` in-process. */
export type UserAuthenticator = (socketId: string) => Promise<{ auth: string; user_data: string }> | { auth: string; user_data: string };

export interface ChannelSubscriber {
  /** Every event received on the channel so far, in order (pusher:* internals excluded). */
  events: ReceivedEvent[];
  /** pusher-js's connection state (`connected`; `disconnected` once the server closed it with a 40xx code). */
  state: () => string;
  /** Codes of the `pusher:error` messages the server sent (4009: terminated, or not signed in in time). */
  errorCodes: number[];
  /** Resolves once pusher-js has left `connected` for `disconnected`, or fails after `timeoutMs`. */
  closedByServer: (timeoutMs?: number) => Promise<void>;
  /** Resolves with the first received event (past or future) that matches, or fails after `timeoutMs`. */
  next: (match: (event: ReceivedEvent) => boolean, what: string, timeoutMs?: number) => Promise<ReceivedEvent>;
  disconnect: () => void;
}

/** pusher-js in Node on `server` (plain WebSocket on loopback), authorizing and signing in through the given functions. */
function newClient(
  server: { host: string; port: number; key: string },
  authorize?: ChannelAuthorizer,
  signIn?: UserAuthenticator,
): PusherClient {
  return new PusherClient(server.key, {
    cluster: 'mt1',
    wsHost: server.host,
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        Promise.resolve()
          .then(() => (authorize ? authorize(socketId, channelName) : Promise.reject(new Error('this client authorizes no channel'))))
          .then(
            (data) => callback(null, data),
            (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
          );
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }, callback) => {
        Promise.resolve()
          .then(() => (signIn ? signIn(socketId) : Promise.reject(new Error('this client does not sign in'))))
          .then(
            (data) => callback(null, data),
            (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
          );
      },
    },
  });
}

/** Resolves once the server confirmed `channel` on the connection (`pusher_internal:subscription_succeeded`). */
function confirmed(client: PusherClient, channel: string, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not confirm ${channel} within ${timeoutMs} ms`)), timeoutMs);
    client.connection.bind('message', ({ event, channel: on }: { event: string; channel?: string }) => {
      if (event !== 'pusher_internal:subscription_succeeded' || on !== channel) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Connects pusher-js to `server` (plain WebSocket on loopback), subscribes to the private `channel`
 * with a signature from `authorize`, and resolves once the server confirmed the subscription.
 * With `signIn`, the connection also signs in as a user first (a guide's client that signs in too;
 * the app's pages subscribe to nothing: `signInAsUser`), and the subscription waits for the server's
 * `pusher:signin_success`.
 */
export async function subscribeToChannel(
  server: { host: string; port: number; key: string },
  channel: string,
  authorize: ChannelAuthorizer,
  options: { signIn?: UserAuthenticator } = {},
): Promise<ChannelSubscriber> {
  const { signIn } = options;
  const client = newClient(server, authorize, signIn);
  const watched = watch(client, channel);
  if (signIn) {
    const signedIn = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no pusher:signin_success within 10 s')), 10_000);
      client.connection.bind('message', ({ event }: { event: string }) => {
        if (event !== 'pusher:signin_success') return;
        clearTimeout(timer);
        resolve();
      });
    });
    client.signin();
    try {
      await signedIn;
    } catch (err) {
      client.disconnect();
      throw err;
    }
  }

  const subscription = client.subscribe(channel);
  subscription.bind_global((event: string, data: unknown) => {
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return;
    watched.record({ event, data });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no subscription to ${channel} within 10 s`)), 10_000);
      subscription.bind('pusher:subscription_succeeded', () => {
        clearTimeout(timer);
        resolve();
      });
      subscription.bind('pusher:subscription_error', (status: unknown) => {
        clearTimeout(timer);
        reject(new Error(`subscription to ${channel} refused: ${JSON.stringify(status)}`));
      });
    });
  } catch (err) {
    client.disconnect();
    throw err;
  }
  return watched.subscriber;
}

/**
 * Connects pusher-js to `server` as the app's pages do: no channel subscription, a sign-in as
 * `userId` through `signIn`, and the events sent to that user (`pusher.user`, Pusher's
 * `#server-to-user-{id}`) recorded. Resolves once the server confirmed the user's channel.
 */
export async function signInAsUser(
  server: { host: string; port: number; key: string },
  userId: string,
  signIn: UserAuthenticator,
): Promise<ChannelSubscriber> {
  const client = newClient(server, undefined, signIn);
  const channel = `#server-to-user-${userId}`;
  const watched = watch(client, channel);
  client.user.bind_global((event: string, data: unknown) => {
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return;
    watched.record({ event, data });
  });
  const joined = confirmed(client, channel);
  client.signin();
  try {
    await joined;
  } catch (err) {
    client.disconnect();
    throw err;
  }
  return watched.subscriber;
}

/** The recording side of a subscriber: `record` what arrives, `subscriber` to wait on it. */
function watch(client: PusherClient, channel: string): { record: (event: ReceivedEvent) => void; subscriber: ChannelSubscriber } {
  const errorCodes: number[] = [];
  let everConnected = false;
  const stateWaiters = new Set<() => void>();
  client.connection.bind('error', (err: { data?: { code?: unknown } } | undefined) => {
    const code = err?.data?.code;
    if (typeof code === 'number') errorCodes.push(code);
  });
  client.connection.bind('state_change', ({ current }: { current: string }) => {
    if (current === 'connected') everConnected = true;
    for (const wake of stateWaiters) wake();
  });
  const events: ReceivedEvent[] = [];
  const waiters = new Set<() => void>();
  const record = (event: ReceivedEvent) => {
    events.push(event);
    for (const wake of waiters) wake();
  };
  const subscriber: ChannelSubscriber = {
    events,
    state: () => client.connection.state,
    errorCodes,
    closedByServer: (timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!everConnected || client.connection.state !== 'disconnected') return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`the server did not close the connection to ${channel} within ${timeoutMs} ms (${client.connection.state})`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          stateWaiters.delete(check);
        };
        stateWaiters.add(check);
        check();
      }),
    next: (match, what, timeoutMs = 10_000) =>
      new Promise<ReceivedEvent>((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          done();
          resolve(found);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${what} on ${channel}; received ${JSON.stringify(events).slice(0, 2_000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    disconnect: () => client.disconnect(),
  };
  return { record, subscriber };
}
