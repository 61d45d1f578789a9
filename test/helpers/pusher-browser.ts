import type { PusherServer } from './pusher-server';

// The browser side of the Pusher tests. The app hands the page NEXT_PUBLIC_PUSHER_* as it read them
// at start (no rebuild), but the browser's address is a fixed, made-up one (pusher.e2e.test:6001, a
// reserved test domain) that Chromium's host resolver maps to wherever this run's Soketi listens:
// no fixed port can be taken by another process, and the CSP, pusher-js and the page all see one
// public name, as in production where the browser reaches the Pusher server by a name the app
// server may not use.

/** Where the browser's pusher-js connects in the Pusher tests. */
export const PUSHER_BROWSER = { key: 'e2e-pusher-key', host: 'pusher.e2e.test', port: 6001 } as const;

/** The app's environment for a browser pointed at PUSHER_BROWSER (add the server's PUSHER_*). */
export const PUSHER_BROWSER_ENV: Record<string, string> = {
  NEXT_PUBLIC_PUSHER_KEY: PUSHER_BROWSER.key,
  NEXT_PUBLIC_PUSHER_HOST: PUSHER_BROWSER.host,
  NEXT_PUBLIC_PUSHER_PORT: String(PUSHER_BROWSER.port),
  NEXT_PUBLIC_PUSHER_USE_TLS: 'false',
};

/** The Chromium flag that sends the browser's Pusher address to `server` (same host and port after a restart). */
export function pusherHostMapping(server: Pick<PusherServer, 'host' | 'port'>): string {
  return `--host-resolver-rules=MAP ${PUSHER_BROWSER.host}:${PUSHER_BROWSER.port} ${server.host}:${server.port}`;
}
