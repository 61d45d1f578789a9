import { EnvError, type ServerEnv } from '@/lib/config/env';

/**
 * The public URL NextAuth builds its redirects from (sign-out's callback among them). NextAuth
 * reads NEXTAUTH_URL itself and falls back to localhost:3000, a port nothing listens on here. In
 * production only the operator knows the public URL, so it is required; in development it is
 * this server.
 * @throws EnvError naming NEXTAUTH_URL in production when it is unset.
 */
export function resolveAuthUrl(env: ServerEnv): string {
  if (env.NEXTAUTH_URL) return env.NEXTAUTH_URL;
  if (env.NODE_ENV === 'production') {
    throw new EnvError('Invalid environment variables:\n  NEXTAUTH_URL: is required when NODE_ENV=production');
  }
  return `http://localhost:${env.PORT}`;
}

/** Realtime hosts the browser may connect to besides this app (the CSP's connect-src). */
export function pusherSources(env: ServerEnv): string[] {
  if (!env.isPusherConfigured) return [];
  if (!env.PUSHER_HOST) return ['https://*.pusher.com', 'wss://*.pusher.com'];
  const hostPort = env.PUSHER_PORT ? `${env.PUSHER_HOST}:${env.PUSHER_PORT}` : env.PUSHER_HOST;
  return [`ws://${hostPort}`, `wss://${hostPort}`, `http://${hostPort}`, `https://${hostPort}`];
}
