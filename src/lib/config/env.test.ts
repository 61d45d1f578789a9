import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from './env';

describe('parseEnv', () => {
  it('applies defaults and reports Pusher unconfigured with no variables', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PGLITE_DIR: '.data/pglite', LOG_LEVEL: 'info', isPusherConfigured: false });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('configures Pusher only when all four PUSHER_* variables are set', () => {
    const three = { PUSHER_APP_ID: '1', PUSHER_KEY: 'k', PUSHER_SECRET: 's' };
    expect(parseEnv(three).isPusherConfigured).toBe(false);
    expect(parseEnv({ ...three, PUSHER_CLUSTER: 'eu' }).isPusherConfigured).toBe(true);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv({ DATABASE_URL: '', PUSHER_KEY: '' }).DATABASE_URL).toBeUndefined();
  });

  it('parses PUSHER_USE_TLS=false as false, not as a truthy string', () => {
    expect(parseEnv({ PUSHER_USE_TLS: 'false' }).PUSHER_USE_TLS).toBe(false);
    expect(parseEnv({ PUSHER_USE_TLS: 'true' }).PUSHER_USE_TLS).toBe(true);
  });

  it.each([
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['PUSHER_PORT', 'abc'],
    ['PUSHER_USE_TLS', 'yes please'],
    ['DATABASE_POOL_SIZE', '0'],
  ])('names %s when its value %j is invalid', (name, value) => {
    expect(() => parseEnv({ [name]: value })).toThrow(EnvError);
    expect(() => parseEnv({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
