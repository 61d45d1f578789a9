import { describe, expect, it } from 'vitest';
import { parseClientEnv } from './client-env';
import { EnvError } from './env';

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

  it('names the variable when a value is invalid', () => {
    expect(() => parseClientEnv({ NEXT_PUBLIC_PUSHER_KEY: 42 as unknown as string })).toThrow(EnvError);
    expect(() => parseClientEnv({ NEXT_PUBLIC_PUSHER_KEY: 42 as unknown as string })).toThrow(/NEXT_PUBLIC_PUSHER_KEY/);
  });
});
