// The app's Node entry (`npm run dev`, `npm start`): validates the environment before anything
// listens, serves Next.js's request handler behind node:http so the app learns each client's
// address from the socket, and shuts down through the one registry. The chat stream
// (GET /api/chat-messages/stream) and the reads a polling tab makes are served here, before
// Next.js: see chat-stream.ts and direct-routes.ts.
import { createServer } from 'node:http';
import next from 'next';
import { EnvError, getEnv, resetEnvCache, type ServerEnv } from '@/lib/config/env';
import { startOperatorMetrics } from '@/lib/metrics/start';
import { exitAfterShutdown, onShutdown } from '@/lib/runtime/shutdown';
import { setClientAddressHeader } from './client-address';
import { refuseUndecodablePath } from './request-path';
import { securityHeaders } from './security-headers';
import { pusherSources, resolveAuthUrl } from './serving-env';

/** Open connections get this long to finish after SIGTERM before they are cut. */
const DRAIN_MS = 10_000;

function loadEnv(): ServerEnv {
  try {
    const env = getEnv();
    const authUrl = resolveAuthUrl(env);
    if (env.NEXTAUTH_URL) return env;
    process.env.NEXTAUTH_URL = authUrl;
    resetEnvCache();
    return getEnv();
  } catch (err) {
    // A missing or bad variable stops the process with its name, before it listens.
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const env = loadEnv();
  const dev = env.NODE_ENV !== 'production';
  const app = next({ dev, hostname: env.HOSTNAME, port: env.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();
  // Loaded only now: it imports next/server, which needs the AsyncLocalStorage that creating the
  // Next.js app installs.
  const [{ isChatStreamRequest, serveChatStream }, { directRoute, serveDirect }] = await Promise.all([
    import('./chat-stream'),
    import('./direct-routes'),
  ]);

  const headers = Object.entries(securityHeaders(env, { dev, connectSources: pusherSources(env) }));
  const server = createServer((req, res) => {
    setClientAddressHeader(req, env.TRUST_PROXY);
    for (const [name, value] of headers) res.setHeader(name, value);
    if (refuseUndecodablePath(req, res)) return;
    if (isChatStreamRequest(req)) return void serveChatStream(req, res);
    const direct = directRoute(req);
    if (direct) void serveDirect(direct, req, res);
    else void handle(req, res);
  });
  exitAfterShutdown();
  onShutdown('http-server', 'streams', async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    await closed;
    clearTimeout(timer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOSTNAME, () => resolve());
  });
  await startOperatorMetrics();
  const shown = env.HOSTNAME && env.HOSTNAME !== '0.0.0.0' && env.HOSTNAME !== '::' ? env.HOSTNAME : 'localhost';
  console.log(`> Ready on http://${shown}:${env.PORT} (${dev ? 'development' : 'production'})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
