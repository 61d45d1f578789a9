import { describe, expect, it } from 'vitest';
import { parseClientEnv } from './client-env';
import { EnvError } from './env-error';

describe('parseClientEnv', () => {
  it('leaves Pusher off and the cluster at mt1 with no variables', () => {
    expect(parseClientEnv({})).toEqual({ NEXT_PUBLIC_PUSHER_CLUSTER: 'mt1' });
  });

  it('treats empty strings as unset, as the server does', () => {
    expect(parseClientEnv({ NEXT_PUBLIC_PUSHER_KEY: '', NEXT_PUBLIC_PUSHER_CLUSTER: '' })).toEqual({ NEXT_PUBLIC_PUSHER_CLUSTER: 'mt1' });
  });

  it('keeps a key and cluster that are set', () => {
    expect(parseClientEnv({ NEXT_PUBLIC_PUSHER_KEY: 'k', NEXT_PUBLIC_PUSHER_CLUSTER: 'eu' })).toEqual({
      NEXT_PUBLIC_PUSHER_KEY: 'k',
      NEXT_PUBLIC_PUSHER_CLUSTER: 'eu',
    });
  });

  it('reads a self-hosted server: host, port as a number, TLS as a boolean', () => {
    expect(
      parseClientEnv({
        NEXT_PUBLIC_PUSHER_KEY: 'k',
        NEXT_PUBLIC_PUSHER_HOST: 'soketi.example.com',
        NEXT_PUBLIC_PUSHER_PORT: '6001',
        NEXT_PUBLIC_PUSHER_USE_TLS: 'false',
      }),
    ).toEqual({
      NEXT_PUBLIC_PUSHER_KEY: 'k',
      NEXT_PUBLIC_PUSHER_CLUSTER: 'mt1',
      NEXT_PUBLIC_PUSHER_HOST: 'soketi.example.com',
      NEXT_PUBLIC_PUSHER_PORT: 6001,
      NEXT_PUBLIC_PUSHER_USE_TLS: false,
    });
  });

  it.each([
    ['NEXT_PUBLIC_PUSHER_HOST', 'wss://soketi.example.com'],
    ['NEXT_PUBLIC_PUSHER_HOST', 'soketi.example.com:6001'],
    ['NEXT_PUBLIC_PUSHER_PORT', '0'],
    ['NEXT_PUBLIC_PUSHER_USE_TLS', 'yes'],
  ])('names %s when its value %j is invalid', (name, value) => {
    expect(() => parseClientEnv({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('names the variable when a value is invalid', () => {
    expect(() => parseClientEnv({ NEXT_PUBLIC_PUSHER_KEY: 42 as unknown as string })).toThrow(EnvError);
    expect(() => parseClientEnv({ NEXT_PUBLIC_PUSHER_KEY: 42 as unknown as string })).toThrow(/NEXT_PUBLIC_PUSHER_KEY/);
  });
});
