import { browserPusherSettings } from '@/lib/config/client-env';
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

/**
 * Realtime hosts the browser may connect to besides this app (the CSP's connect-src): where the
 * browser's pusher-js goes, so the NEXT_PUBLIC_* settings it was built with (the server's PUSHER_HOST
 * may be an internal name the browser never sees). pusher-js only opens WebSockets to a
 * self-hosted server (its HTTP fallbacks are off there); on the cloud it may also use HTTP.
 */
export function pusherSources(env: ServerEnv): string[] {
  const pusher = browserPusherSettings(env);
  if (!pusher) return [];
  if (!pusher.host) return ['https://*.pusher.com', 'wss://*.pusher.com'];
  const hostPort = pusher.port ? `${pusher.host}:${pusher.port}` : pusher.host;
  // Without TLS pusher-js still uses wss on an https page.
  return pusher.useTLS ? [`wss://${hostPort}`] : [`ws://${hostPort}`, `wss://${hostPort}`];
}
