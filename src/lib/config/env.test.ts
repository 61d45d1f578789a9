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

  it('takes CALENDAR_ENCRYPTION_KEY as 32 bytes of base64 or hex, and stops naming it otherwise', () => {
    expect(parseEnv({ CALENDAR_ENCRYPTION_KEY: 'a'.repeat(64) }).CALENDAR_ENCRYPTION_KEY).toBe('a'.repeat(64));
    expect(parseEnv({ CALENDAR_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }).CALENDAR_ENCRYPTION_KEY).toBeDefined();
    expect(parseEnv({}).CALENDAR_ENCRYPTION_KEY).toBeUndefined();
    expect(() => parseEnv({ CALENDAR_ENCRYPTION_KEY: 'too-short' })).toThrow(/CALENDAR_ENCRYPTION_KEY: must be 32 bytes/);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv({ DATABASE_URL: '', PUSHER_KEY: '' }).DATABASE_URL).toBeUndefined();
  });

  it('parses PUSHER_USE_TLS=false as false, not as a truthy string', () => {
    expect(parseEnv({ PUSHER_USE_TLS: 'false' }).PUSHER_USE_TLS).toBe(false);
    expect(parseEnv({ PUSHER_USE_TLS: 'true' }).PUSHER_USE_TLS).toBe(true);
  });

  it('keeps the private Pusher channel by default; PUSHER_PRIVATE_CHANNEL=false turns it off, anything else but true stops the start', () => {
    expect(parseEnv({}).PUSHER_PRIVATE_CHANNEL).toBe(true);
    expect(parseEnv({ PUSHER_PRIVATE_CHANNEL: 'false' }).PUSHER_PRIVATE_CHANNEL).toBe(false);
    expect(() => parseEnv({ PUSHER_PRIVATE_CHANNEL: 'no' })).toThrow(/PUSHER_PRIVATE_CHANNEL/);
  });

  describe('the fan-out', () => {
    it('defaults to PostgreSQL NOTIFY and needs no Redis for it', () => {
      expect(parseEnv({}).FANOUT).toBe('postgres');
      expect(parseEnv({}).REDIS_URL).toBeUndefined();
    });

    it('takes FANOUT=redis with a redis:// or rediss:// URL', () => {
      expect(parseEnv({ FANOUT: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' })).toMatchObject({
        FANOUT: 'redis',
        REDIS_URL: 'redis://127.0.0.1:6379',
      });
      expect(parseEnv({ FANOUT: 'redis', REDIS_URL: 'rediss://cache.example:6380/0' }).FANOUT).toBe('redis');
    });

    it('stops the start naming REDIS_URL when FANOUT=redis has none, and naming FANOUT or REDIS_URL when they are malformed', () => {
      expect(() => parseEnv({ FANOUT: 'redis' })).toThrow(/REDIS_URL: is required when FANOUT=redis/);
      expect(() => parseEnv({ FANOUT: 'kafka' })).toThrow(/FANOUT/);
      expect(() => parseEnv({ FANOUT: 'redis', REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(
        /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/,
      );
    });
  });

  describe("the browser's Pusher against the server's", () => {
    const server = { PUSHER_APP_ID: '1', PUSHER_KEY: 'k', PUSHER_SECRET: 's', PUSHER_CLUSTER: 'mt1' };
    const fails = (source: Record<string, string>, pattern: RegExp) => {
      expect(() => parseEnv(source)).toThrow(EnvError);
      expect(() => parseEnv(source)).toThrow(pattern);
    };

    it('refuses a browser key without the four server variables, naming the missing ones', () => {
      fails({ NEXT_PUBLIC_PUSHER_KEY: 'k' }, /NEXT_PUBLIC_PUSHER_KEY: .*set PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET, PUSHER_CLUSTER/);
      fails({ ...server, PUSHER_SECRET: '', NEXT_PUBLIC_PUSHER_KEY: 'k' }, /NEXT_PUBLIC_PUSHER_KEY: .*set PUSHER_SECRET \(/);
    });

    it('refuses a browser key that is not the server key', () => {
      fails({ ...server, NEXT_PUBLIC_PUSHER_KEY: 'other' }, /NEXT_PUBLIC_PUSHER_KEY: must equal PUSHER_KEY/);
    });

    it("refuses a self-hosted server on one side and Pusher's cloud on the other", () => {
      fails(
        { ...server, PUSHER_HOST: '127.0.0.1', NEXT_PUBLIC_PUSHER_KEY: 'k' },
        /NEXT_PUBLIC_PUSHER_HOST: is required when PUSHER_HOST is set/,
      );
      fails(
        { ...server, NEXT_PUBLIC_PUSHER_KEY: 'k', NEXT_PUBLIC_PUSHER_HOST: 'ws.example.com' },
        /PUSHER_HOST: is required when NEXT_PUBLIC_PUSHER_HOST/,
      );
    });

    it('refuses browser host settings without a browser key', () => {
      fails(
        { ...server, PUSHER_HOST: 'h', NEXT_PUBLIC_PUSHER_HOST: 'h' },
        /NEXT_PUBLIC_PUSHER_HOST: is set but NEXT_PUBLIC_PUSHER_KEY is not/,
      );
    });

    it('accepts a self-hosted setup on both sides, and the server alone', () => {
      const env = parseEnv({
        ...server,
        PUSHER_HOST: '127.0.0.1',
        PUSHER_PORT: '6001',
        PUSHER_USE_TLS: 'false',
        NEXT_PUBLIC_PUSHER_KEY: 'k',
        NEXT_PUBLIC_PUSHER_HOST: 'localhost',
        NEXT_PUBLIC_PUSHER_PORT: '6001',
        NEXT_PUBLIC_PUSHER_USE_TLS: 'false',
      });
      expect(env).toMatchObject({ isPusherConfigured: true, NEXT_PUBLIC_PUSHER_PORT: 6001, NEXT_PUBLIC_PUSHER_USE_TLS: false });
      expect(parseEnv(server).isPusherConfigured).toBe(true);
    });
  });

  it.each([
    ['NEXT_PUBLIC_PUSHER_PORT', '70000'],
    ['NEXT_PUBLIC_PUSHER_HOST', 'https://ws.example.com'],
    ['NEXT_PUBLIC_PUSHER_USE_TLS', 'sure'],
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

describe('attachment and activity settings', () => {
  it('ACTIVITY_TTL takes 10s, 1500ms, 1m or seconds, 10 s by default', () => {
    expect(parseEnv({}).ACTIVITY_TTL).toBe(10_000);
    expect(parseEnv({ ACTIVITY_TTL: '1500ms' }).ACTIVITY_TTL).toBe(1_500);
    expect(parseEnv({ ACTIVITY_TTL: '1m' }).ACTIVITY_TTL).toBe(60_000);
    expect(parseEnv({ ACTIVITY_TTL: '3' }).ACTIVITY_TTL).toBe(3_000);
  });

  it.each([
    [{ ACTIVITY_TTL: 'soon' }, /ACTIVITY_TTL: must be a duration/],
    [{ ACTIVITY_TTL: '100ms' }, /ACTIVITY_TTL: must be at least 500ms/],
    [{ S3_ENDPOINT: 'http://127.0.0.1:9000' }, /S3_ENDPOINT: is set but S3_BUCKET is not/],
    [{ S3_BUCKET: 'files', S3_ACCESS_KEY_ID: 'k' }, /S3_SECRET_ACCESS_KEY: is required together/],
    [{ S3_BUCKET: 'files', S3_ENDPOINT: 'not a url' }, /S3_ENDPOINT: must be an absolute URL/],
  ])('refuses %o, naming the variable', (source, message) => {
    expect(() => parseEnv(source)).toThrow(message);
  });
});
