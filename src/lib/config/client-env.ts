import { z } from 'zod';
import { EnvError } from './env';

/**
 * Browser environment (`NEXT_PUBLIC_*`), validated with zod like the server's (env.ts). Next.js
 * inlines `process.env.NEXT_PUBLIC_X` into the browser bundle only where it is written out
 * literally, so the source object below names each variable; a computed read would be undefined
 * in the browser. Every value here is public: it ships in the page's JavaScript.
 */

const ClientEnvSchema = z.object({
  /** Pusher app key; set, the browser subscribes to Pusher first (the server needs all PUSHER_*). */
  NEXT_PUBLIC_PUSHER_KEY: z.string().min(1).optional(),
  NEXT_PUBLIC_PUSHER_CLUSTER: z.string().min(1).default('mt1'),
});

export type ClientEnv = z.infer<typeof ClientEnvSchema>;

/** Validates a browser environment object; empty strings count as unset, as on the server. */
export function parseClientEnv(source: Record<string, string | undefined>): ClientEnv {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = ClientEnvSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new EnvError(`Invalid NEXT_PUBLIC_* environment variables:\n${lines.join('\n')}`);
  }
  return result.data;
}

let cached: ClientEnv | undefined;

/** The browser environment, validated on first use. */
export function getClientEnv(): ClientEnv {
  cached ??= parseClientEnv({
    NEXT_PUBLIC_PUSHER_KEY: process.env.NEXT_PUBLIC_PUSHER_KEY,
    NEXT_PUBLIC_PUSHER_CLUSTER: process.env.NEXT_PUBLIC_PUSHER_CLUSTER,
  });
  return cached;
}
