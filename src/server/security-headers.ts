import type { ServerEnv } from '@/lib/config/env';

/**
 * Headers on every response of the app (pages, API, stream, static files): no framing (click-
 * jacking), no MIME sniffing, no full URLs leaked in Referer, and HSTS when the app is served over
 * https. The Content-Security-Policy keeps `'unsafe-inline'` for scripts because Next.js's App
 * Router streams its hydration data as inline scripts; `connect-src` names the realtime hosts the
 * browser may open (the app itself for the SSE stream and polling, plus the Pusher server).
 */
export function securityHeaders(env: ServerEnv, options: { dev: boolean; connectSources?: string[] }): Record<string, string> {
  const connect = ["'self'", ...(options.connectSources ?? [])];
  // Next's dev server evaluates modules and hot-reloads over a websocket on the same host.
  if (options.dev) connect.push('ws:', 'wss:');
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${options.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
  const headers: Record<string, string> = {
    'Content-Security-Policy': csp,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
  if (env.NEXTAUTH_URL?.startsWith('https://')) headers['Strict-Transport-Security'] = 'max-age=31536000; includeSubDomains';
  return headers;
}
