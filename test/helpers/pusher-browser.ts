import type { BuildVariant } from './build';
import type { PusherServer } from './pusher-server';

// The browser side of the Pusher tests. NEXT_PUBLIC_* are fixed when `next build` runs, but each
// suite starts its Soketi on a free port. So the Pusher build names a fixed, made-up address
// (pusher.e2e.test:6001, a reserved test domain) and Chromium's host resolver maps it to wherever
// this run's Soketi listens: one build serves every run, and no fixed port can be taken by
// another process. The CSP, pusher-js and the page all see the built address, as in production
// where the browser reaches the Pusher server by a public name the app server may not use.

/** What the browser bundle of the Pusher build is made with. */
export const PUSHER_BROWSER = { key: 'e2e-pusher-key', host: 'pusher.e2e.test', port: 6001 } as const;

/** The second test build: the app with the browser's Pusher rung pointed at PUSHER_BROWSER. */
export const PUSHER_BUILD: BuildVariant = {
  distDir: '.next-pusher',
  env: {
    NEXT_PUBLIC_PUSHER_KEY: PUSHER_BROWSER.key,
    NEXT_PUBLIC_PUSHER_HOST: PUSHER_BROWSER.host,
    NEXT_PUBLIC_PUSHER_PORT: String(PUSHER_BROWSER.port),
    NEXT_PUBLIC_PUSHER_USE_TLS: 'false',
  },
};

/** The Chromium flag that sends the built Pusher address to `server` (same host and port after a restart). */
export function pusherHostMapping(server: Pick<PusherServer, 'host' | 'port'>): string {
  return `--host-resolver-rules=MAP ${PUSHER_BROWSER.host}:${PUSHER_BROWSER.port} ${server.host}:${server.port}`;
}
