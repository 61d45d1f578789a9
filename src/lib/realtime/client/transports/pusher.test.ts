import { describe, expect, it } from 'vitest';
import { browserPusherSettings, parseClientEnv } from '@/lib/config/client-env';
import { pusherOptions } from './pusher';

// What pusher-js is told, from the NEXT_PUBLIC_* variables the page was built with.
const optionsFor = (env: Record<string, string>) => {
  const settings = browserPusherSettings(parseClientEnv(env));
  return settings && { key: settings.key, options: pusherOptions(settings) };
};

describe('pusherOptions', () => {
  it('gives no Pusher at all without a key', () => {
    expect(optionsFor({ NEXT_PUBLIC_PUSHER_CLUSTER: 'eu' })).toBeNull();
  });

  it("leaves the hosts to pusher-js on Pusher's cloud, over TLS", () => {
    expect(optionsFor({ NEXT_PUBLIC_PUSHER_KEY: 'k', NEXT_PUBLIC_PUSHER_CLUSTER: 'eu' })).toEqual({
      key: 'k',
      options: {
        cluster: 'eu',
        forceTLS: true,
        channelAuthorization: { endpoint: '/api/pusher/auth', transport: 'ajax' },
        userAuthentication: { endpoint: '/api/pusher/user-auth', transport: 'ajax' },
      },
    });
  });

  it('points WebSockets only at a self-hosted server, plain ws by default', () => {
    const env = { NEXT_PUBLIC_PUSHER_KEY: 'app-key', NEXT_PUBLIC_PUSHER_HOST: 'soketi.example.com', NEXT_PUBLIC_PUSHER_PORT: '6001' };
    expect(optionsFor(env)?.options).toEqual({
      cluster: 'mt1',
      channelAuthorization: { endpoint: '/api/pusher/auth', transport: 'ajax' },
      userAuthentication: { endpoint: '/api/pusher/user-auth', transport: 'ajax' },
      forceTLS: false,
      wsHost: 'soketi.example.com',
      wsPort: 6001,
      wssPort: 6001,
      enabledTransports: ['ws', 'wss'],
    });
  });

  it('forces TLS on the standard ports when NEXT_PUBLIC_PUSHER_USE_TLS is true and no port is set', () => {
    const env = { NEXT_PUBLIC_PUSHER_KEY: 'k', NEXT_PUBLIC_PUSHER_HOST: 'ws.example.com', NEXT_PUBLIC_PUSHER_USE_TLS: 'true' };
    expect(optionsFor(env)?.options).toMatchObject({ wsHost: 'ws.example.com', forceTLS: true, wsPort: 80, wssPort: 443 });
  });
});
