import { resetEnvCache } from '@/lib/config/env';
import { resetPusher } from '@/lib/realtime/pusher';
import type { PusherServer } from './pusher-server';

/**
 * Points this process's services at `server` (its PUSHER_* in process.env, read afresh) for a suite
 * that calls them in-process. Returns the undo, which also removes `extra`: variables the suite set.
 */
export function usePusherEnv(server: PusherServer, extra: string[] = []): () => void {
  Object.assign(process.env, server.env);
  resetEnvCache();
  resetPusher();
  return () => {
    for (const name of [...Object.keys(server.env), ...extra]) delete process.env[name];
    resetEnvCache();
    resetPusher();
  };
}
