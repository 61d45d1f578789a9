import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startApp, type AppServer } from '@test/helpers/app-server';
import { ensureBuilt } from '@test/helpers/build';

// What leaves the process and how it starts: response headers on every kind of response, the
// benchmark route that exists only when switched on, and a start-up that refuses a missing
// required variable before it listens.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_ENTRY = path.join(ROOT, 'src/server/index.ts');

/** Starts the entry as `npm start` would and returns how it ended, without waiting for readiness. */
async function startExpectingExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string; port: number }> {
  const port = await freePort();
  const { NEXTAUTH_SECRET: _secret, NEXTAUTH_URL: _url, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
    cwd: ROOT,
    env: { ...inherited, NODE_ENV: 'production', PORT: String(port), HOSTNAME: '127.0.0.1', PGLITE_DIR: 'memory://', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, stderr, port };
}

async function isListening(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => true,
    () => false,
  );
}

describe('the Node entry (npm start)', () => {
  let app: AppServer;
  let benchApp: AppServer;

  beforeAll(async () => {
    await ensureBuilt();
    [app, benchApp] = await Promise.all([
      startApp({ kind: 'pglite' }),
      startApp({ kind: 'pglite', env: { BENCH_ROUTES: 'true', NEXTAUTH_URL: 'https://chat.example.test' } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([app?.dispose(), benchApp?.dispose()]);
  });

  it.each(['/login', '/api/chat-messages', '/api/auth/csrf', '/favicon-that-does-not-exist.ico'])(
    'GET %s carries the security headers',
    async (pathname) => {
      const response = await fetch(`${app.baseUrl}${pathname}`);
      await response.arrayBuffer();
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(response.headers.get('strict-transport-security')).toBeNull();
    },
  );

  it('sends HSTS when the app is served over https', async () => {
    const response = await fetch(`${benchApp.baseUrl}/api/auth/csrf`);
    await response.arrayBuffer();
    expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  });

  it('GET /api/bench/empty is a 404 unless the benchmarks switch it on', async () => {
    const off = await fetch(`${app.baseUrl}/api/bench/empty`);
    expect(off.status).toBe(404);
    expect(await off.json()).toEqual({ error: { code: 'not_found', message: 'Not found' } });
    const on = await fetch(`${benchApp.baseUrl}/api/bench/empty`);
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({});
  });

  it('refuses to start in production without NEXTAUTH_SECRET, naming it, and never listens', async () => {
    const result = await startExpectingExit({ NEXTAUTH_URL: 'http://127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NEXTAUTH_SECRET');
    expect(await isListening(result.port)).toBe(false);
  });

  it('refuses to start in production without NEXTAUTH_URL, naming it', async () => {
    const result = await startExpectingExit({ NEXTAUTH_SECRET: 'a-secret-of-enough-length-0123456789' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NEXTAUTH_URL');
  });

  it('refuses a bad PORT, naming it', async () => {
    const result = await startExpectingExit({
      NEXTAUTH_SECRET: 'a-secret-of-enough-length-0123456789',
      NEXTAUTH_URL: 'http://x',
      PORT: 'eighty',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
  });

  it("refuses a browser Pusher key without the server's PUSHER_* (a browser would dial Pusher's cloud), and never listens", async () => {
    const result = await startExpectingExit({
      NEXTAUTH_SECRET: 'a-secret-of-enough-length-0123456789',
      NEXTAUTH_URL: 'http://127.0.0.1:1',
      NEXT_PUBLIC_PUSHER_KEY: 'app-key',
      NEXT_PUBLIC_PUSHER_HOST: 'localhost',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/NEXT_PUBLIC_PUSHER_KEY: .*set PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET, PUSHER_CLUSTER/);
    expect(result.stderr).toContain('PUSHER_HOST: is required when NEXT_PUBLIC_PUSHER_HOST is set');
    expect(await isListening(result.port)).toBe(false);
  });
});
