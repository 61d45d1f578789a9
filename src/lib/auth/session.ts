import { getServerSession } from 'next-auth';
import { decode, getToken, type JWT, type JWTDecodeParams } from 'next-auth/jwt';
import { redirect } from 'next/navigation';
import type { NextRequest } from 'next/server';
import { processGlobal } from '@/lib/runtime/process-global';
import { getAuthOptions } from './options';
import { getAuthSecret, usesSecureCookies } from './secret';

/** For server components: the signed-in user, or a redirect to /login. */
export async function requirePageSession(): Promise<{ id: string; email: string; name: string | null }> {
  const session = await getServerSession(getAuthOptions());
  if (!session?.user?.id) redirect('/login');
  return { id: session.user.id, email: session.user.email ?? '', name: session.user.name ?? null };
}

/** Session tokens already decrypted, by their exact text; bounded, oldest dropped first. */
const SESSION_CACHE_SIZE = 10_000;
const sessionTokens = processGlobal<Map<string, JWT & { exp: number }>>('session-tokens');

/**
 * NextAuth's `decode` with a cache: decrypting a session token derives its key with HKDF every
 * time (bench/RESULTS.md, read path: about a tenth of a request's CPU). The same token text always
 * decrypts to the same claims, so a token seen before is answered from memory until its `exp`;
 * a tampered or foreign token is different text and goes through the full check.
 */
async function decodeSessionToken(params: JWTDecodeParams): Promise<JWT | null> {
  const cache = sessionTokens.getOrCreate(() => new Map());
  const text = params.token;
  if (!text) return null;
  const hit = cache.get(text);
  if (hit) {
    if (hit.exp * 1000 > Date.now()) return hit;
    cache.delete(text);
  }
  const claims = await decode(params);
  if (claims && typeof claims.exp === 'number') {
    if (cache.size >= SESSION_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(text, claims as JWT & { exp: number });
  }
  return claims;
}

/** For route handlers: the signed-in user's id from the NextAuth session cookie, or null (no cookie, bad signature, expired). */
export async function getSessionUserId(req: NextRequest): Promise<string | null> {
  const token = await getToken({ req, secret: getAuthSecret(), secureCookie: usesSecureCookies(), decode: decodeSessionToken });
  return typeof token?.sub === 'string' && token.sub.length > 0 ? token.sub : null;
}
