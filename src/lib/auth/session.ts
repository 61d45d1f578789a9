import { decode, getToken, type JWT, type JWTDecodeParams } from 'next-auth/jwt';
import type { NextRequest } from 'next/server';
import { processGlobal } from '@/lib/runtime/process-global';
import { getAuthSecret, usesSecureCookies } from './secret';
import { isSessionActive } from './session-store';

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

/** A request's signed-in user and the session it came with. */
export interface RequestSession {
  userId: string;
  sessionId: string;
}

/**
 * For route handlers: the user and session of the NextAuth session cookie, or null: no cookie,
 * bad signature, expired, or a session that has ended on the server (signed out, password
 * changed, account deleted; see session-store.ts for how soon every instance sees that).
 */
export async function getRequestSession(req: NextRequest): Promise<RequestSession | null> {
  const token = await getToken({ req, secret: getAuthSecret(), secureCookie: usesSecureCookies(), decode: decodeSessionToken });
  const userId = token?.sub;
  const sessionId = token?.sid;
  if (typeof userId !== 'string' || !userId || typeof sessionId !== 'string' || !sessionId) return null;
  return (await isSessionActive(sessionId, userId)) ? { userId, sessionId } : null;
}

/** For route handlers: the signed-in user's id (see `getRequestSession`), or null. */
export async function getSessionUserId(req: NextRequest): Promise<string | null> {
  return (await getRequestSession(req))?.userId ?? null;
}
