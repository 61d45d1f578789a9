import { z } from 'zod';
import { describeIssues, EnvError } from './env-error';

/**
 * Browser environment (`NEXT_PUBLIC_*`), validated with zod like the server's (env.ts). Next.js
 * inlines `process.env.NEXT_PUBLIC_X` into the browser bundle only where it is written out
 * literally, so the source object below names each variable; a computed read would be undefined
 * in the browser. Every value here is public. The server validates the same variables at start
 * (env.ts) together with its own PUSHER_*, so a browser pointed at a Pusher the server does not
 * publish to never starts, and the chat page gets its Pusher settings from the server at run time
 * (app/page.tsx); the inlined values serve other pages that use the hook without passing them.
 */

export const clientEnvShape = {
  /** Pusher app key; set, the browser subscribes to Pusher first (the server needs all PUSHER_*). */
  NEXT_PUBLIC_PUSHER_KEY: z.string().min(1).optional(),
  NEXT_PUBLIC_PUSHER_CLUSTER: z.string().min(1).default('mt1'),
  /** A self-hosted Pusher-protocol server (Soketi) as the browser reaches it; unset = Pusher's cloud. */
  NEXT_PUBLIC_PUSHER_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, 'must be a host name or address, without scheme, port or path')
    .optional(),
  NEXT_PUBLIC_PUSHER_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  NEXT_PUBLIC_PUSHER_USE_TLS: z
    .enum(['true', 'false', '1', '0'], { message: 'must be "true" or "false"' })
    .transform((v) => v === 'true' || v === '1')
    .optional(),
};

const ClientEnvSchema = z.object(clientEnvShape);

export type ClientEnv = z.infer<typeof ClientEnvSchema>;

/** Validates a browser environment object; empty strings count as unset, as on the server. */
export function parseClientEnv(source: Record<string, string | undefined>): ClientEnv {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = ClientEnvSchema.safeParse(cleaned);
  if (!result.success) throw new EnvError(`Invalid NEXT_PUBLIC_* environment variables:\n${describeIssues(result.error.issues)}`);
  return result.data;
}

/** Where the browser's pusher-js connects: Pusher's cloud (by cluster) or a self-hosted server. */
export interface BrowserPusherSettings {
  key: string;
  cluster: string;
  /** Set for a self-hosted server; unset, pusher-js picks the cloud's hosts from the cluster. */
  host?: string;
  port?: number;
  useTLS: boolean;
}

/** The browser's Pusher settings, or null when NEXT_PUBLIC_PUSHER_KEY is unset (no Pusher rung). */
export function browserPusherSettings(env: ClientEnv): BrowserPusherSettings | null {
  if (!env.NEXT_PUBLIC_PUSHER_KEY) return null;
  return {
    key: env.NEXT_PUBLIC_PUSHER_KEY,
    cluster: env.NEXT_PUBLIC_PUSHER_CLUSTER,
    ...(env.NEXT_PUBLIC_PUSHER_HOST ? { host: env.NEXT_PUBLIC_PUSHER_HOST } : {}),
    ...(env.NEXT_PUBLIC_PUSHER_PORT ? { port: env.NEXT_PUBLIC_PUSHER_PORT } : {}),
    // As the server's PUSHER_USE_TLS: the cloud is TLS only, a self-hosted server defaults to plain
    // ws (pusher-js still uses wss on an https page).
    useTLS: env.NEXT_PUBLIC_PUSHER_USE_TLS ?? !env.NEXT_PUBLIC_PUSHER_HOST,
  };
}

let cached: ClientEnv | undefined;

/** The browser environment, validated on first use. */
export function getClientEnv(): ClientEnv {
  cached ??= parseClientEnv({
    NEXT_PUBLIC_PUSHER_KEY: process.env.NEXT_PUBLIC_PUSHER_KEY,
    NEXT_PUBLIC_PUSHER_CLUSTER: process.env.NEXT_PUBLIC_PUSHER_CLUSTER,
    NEXT_PUBLIC_PUSHER_HOST: process.env.NEXT_PUBLIC_PUSHER_HOST,
    NEXT_PUBLIC_PUSHER_PORT: process.env.NEXT_PUBLIC_PUSHER_PORT,
    NEXT_PUBLIC_PUSHER_USE_TLS: process.env.NEXT_PUBLIC_PUSHER_USE_TLS,
  });
  return cached;
}
