import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '@/lib/config/env';
import { pusherSources, resolveAuthUrl } from './serving-env';
import { securityHeaders } from './security-headers';

describe('resolveAuthUrl', () => {
  it('derives NEXTAUTH_URL from the configured port in development, not localhost:3000', () => {
    expect(resolveAuthUrl(parseEnv({ NODE_ENV: 'development' }))).toBe('http://localhost:3001');
    expect(resolveAuthUrl(parseEnv({ NODE_ENV: 'development', PORT: '4123' }))).toBe('http://localhost:4123');
  });

  it('keeps a configured NEXTAUTH_URL', () => {
    expect(resolveAuthUrl(parseEnv({ NEXTAUTH_URL: 'https://chat.example.com' }))).toBe('https://chat.example.com');
  });

  it('requires NEXTAUTH_URL in production, naming the variable', () => {
    const env = parseEnv({ NODE_ENV: 'production', NEXTAUTH_SECRET: 'x'.repeat(32) });
    expect(() => resolveAuthUrl(env)).toThrow(EnvError);
    expect(() => resolveAuthUrl(env)).toThrow(/NEXTAUTH_URL/);
  });
});

describe('securityHeaders', () => {
  it('forbids framing and sniffing and adds HSTS only over https', () => {
    const http = securityHeaders(parseEnv({ NEXTAUTH_URL: 'http://localhost:3001' }), { dev: false });
    expect(http['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    expect(http['X-Frame-Options']).toBe('DENY');
    expect(http['X-Content-Type-Options']).toBe('nosniff');
    expect(http['Referrer-Policy']).toBe('strict-origin-when-cross-origin');
    expect(http['Strict-Transport-Security']).toBeUndefined();
    const https = securityHeaders(parseEnv({ NEXTAUTH_URL: 'https://chat.example.com' }), { dev: false });
    expect(https['Strict-Transport-Security']).toMatch(/^max-age=\d+/);
  });

  it('lets the browser reach a self-hosted Pusher server and nothing else', () => {
    const env = parseEnv({
      PUSHER_APP_ID: '1',
      PUSHER_KEY: 'k',
      PUSHER_SECRET: 's',
      PUSHER_CLUSTER: 'mt1',
      PUSHER_HOST: 'soketi.internal',
      PUSHER_PORT: '6001',
      // The browser reaches the same server by its public name.
      NEXT_PUBLIC_PUSHER_KEY: 'k',
      NEXT_PUBLIC_PUSHER_HOST: 'ws.chat.example.com',
      NEXT_PUBLIC_PUSHER_PORT: '6001',
    });
    const csp = securityHeaders(env, { dev: false, connectSources: pusherSources(env) })['Content-Security-Policy'];
    expect(csp).toContain("connect-src 'self' ws://ws.chat.example.com:6001 wss://ws.chat.example.com:6001;");
    expect(csp).not.toContain('pusher.com');
    expect(csp).not.toContain('soketi.internal');
    expect(pusherSources(parseEnv({}))).toEqual([]);
  });

  it('allows only wss to a self-hosted server with TLS, and the cloud only when the browser uses it', () => {
    const server = { PUSHER_APP_ID: '1', PUSHER_KEY: 'k', PUSHER_SECRET: 's', PUSHER_CLUSTER: 'eu' };
    const tls = parseEnv({
      ...server,
      PUSHER_HOST: 'soketi.internal',
      NEXT_PUBLIC_PUSHER_KEY: 'k',
      NEXT_PUBLIC_PUSHER_HOST: 'ws.chat.example.com',
      NEXT_PUBLIC_PUSHER_USE_TLS: 'true',
    });
    expect(pusherSources(tls)).toEqual(['wss://ws.chat.example.com']);
    expect(pusherSources(parseEnv({ ...server, NEXT_PUBLIC_PUSHER_KEY: 'k' }))).toEqual(['https://*.pusher.com', 'wss://*.pusher.com']);
    // The server publishes, but the browser was built without Pusher: it never connects there.
    expect(pusherSources(parseEnv(server))).toEqual([]);
  });
});
