import { getDb, type Db } from '@/lib/db/client';
import * as sessionRepository from '@/lib/repositories/user-session.repository';
import type { ActiveSession } from '@/lib/repositories/user-session.repository';
import { announceSessionsEnded, onSessionsEnded } from '@/lib/realtime/fanout';
import { endPusherConnectionsOf } from '@/lib/realtime/pusher';
import { processGlobal } from '@/lib/runtime/process-global';

/**
 * Server-side sessions. Each sign-in stores a row in `user_sessions` whose id travels in the
 * NextAuth JWT (`sid`); a request is signed in only while that row exists, so sign-out, a password
 * change and account deletion end sessions by deleting rows.
 *
 * Each instance remembers a lookup for SESSION_CHECK_TTL_MS, so a busy session costs at most one
 * query per second per instance. That is also the bound on revocation: the instance that revokes
 * forgets at once, every other instance within SESSION_CHECK_TTL_MS (README, "Sessions").
 * Open SSE streams do not make requests: `sessionsEnded` announces the end through the fan-out,
 * and every instance re-checks its streams of that user with `isSessionActiveNow`.
 */

/** How long a session lasts without use: the NextAuth cookie's lifetime, and the row's. */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/** How long an instance trusts a session lookup; the longest a revocation elsewhere goes unseen. */
export const SESSION_CHECK_TTL_MS = 1_000;

/** The row's expiry is moved forward when it is this much behind a fresh cookie's, so an active session writes once a day. */
const EXTEND_AFTER_MS = 24 * 60 * 60 * 1000;

const CACHE_SIZE = 10_000;

interface CachedLookup {
  /** When the lookup started: a row deleted after that moment may still be in `session`. */
  at: number;
  session: Promise<ActiveSession | undefined>;
  /** Whose session it is, once the lookup has answered (null: no such session). */
  userId?: string | null;
}

const lookups = processGlobal<Map<string, CachedLookup>>('session-lookups');

function cache(): Map<string, CachedLookup> {
  return lookups.getOrCreate(() => new Map());
}

const expiryFromNow = () => new Date(Date.now() + SESSION_MAX_AGE_SECONDS * 1000);

/** The session's row (cached for SESSION_CHECK_TTL_MS; concurrent lookups of one id share one query). */
function lookUp(sessionId: string): Promise<ActiveSession | undefined> {
  const entries = cache();
  const now = Date.now();
  const hit = entries.get(sessionId);
  if (hit && now - hit.at < SESSION_CHECK_TTL_MS) return hit.session;
  entries.delete(sessionId);
  if (entries.size >= CACHE_SIZE) entries.delete(entries.keys().next().value!);
  const session = getDb().then((db) => sessionRepository.selectActiveSession(db, sessionId));
  const entry: CachedLookup = { at: now, session };
  entries.set(sessionId, entry);
  session.then(
    (found) => (entry.userId = found?.userId ?? null),
    // A failed lookup (database down) is not remembered: the next request asks again.
    () => {
      if (entries.get(sessionId) === entry) entries.delete(sessionId);
    },
  );
  return session;
}

/**
 * Starts a session for a user who just proved who they are; returns the id to put in the JWT.
 * Also drops the user's expired session rows.
 */
export async function startSession(userId: string): Promise<string> {
  const db = await getDb();
  await sessionRepository.deleteExpiredSessionsOfUser(db, userId);
  return sessionRepository.insertSession(db, { userId, expiresAt: expiryFromNow() });
}

/** True while the session exists, has not expired, and belongs to `userId`. */
export async function isSessionActive(sessionId: string, userId: string): Promise<boolean> {
  const session = await lookUp(sessionId);
  return session !== undefined && session.userId === userId && session.expiresAt.getTime() > Date.now();
}

/** `isSessionActive` asked of the database, past this instance's cache (a stream's re-check after a revocation). */
export async function isSessionActiveNow(sessionId: string, userId: string): Promise<boolean> {
  const session = await sessionRepository.selectActiveSession(await getDb(), sessionId);
  return session !== undefined && session.userId === userId && session.expiresAt.getTime() > Date.now();
}

/** Keeps the row's expiry in step with the cookie NextAuth just rolled forward (writes at most once a day). */
export async function keepSessionAlive(sessionId: string): Promise<void> {
  const session = await lookUp(sessionId);
  if (!session || expiryFromNow().getTime() - session.expiresAt.getTime() < EXTEND_AFTER_MS) return;
  await sessionRepository.extendSession(await getDb(), { id: sessionId, expiresAt: expiryFromNow() });
  cache().delete(sessionId);
}

/** Ends one session (sign-out), and its open streams on every instance. */
export async function endSession(sessionId: string): Promise<void> {
  const userId = await sessionRepository.deleteSession(await getDb(), sessionId);
  cache().delete(sessionId);
  if (userId) await sessionsEnded(userId);
}

/**
 * Ends every session of the user but `keep`. Pass `db` to run it in the caller's transaction;
 * then call `sessionsEnded` once that has committed.
 */
export async function endSessionsOfUser(user: { userId: string; keep?: string }, db?: Db): Promise<number> {
  const ended = await sessionRepository.deleteSessionsOfUser(db ?? (await getDb()), user);
  if (!db) await sessionsEnded(user.userId);
  return ended;
}

/**
 * After sessions of the user were deleted (committed): drops this instance's remembered lookups
 * of them, so their revocation counts here at once, and announces it to every instance, whose
 * open streams of the user re-check their session and end if it is gone. The user's Pusher
 * connections are closed too (all of them: Pusher knows users, not sessions; a tab whose session
 * is still valid moves to the stream and signs in to Pusher again on its next retry). Never throws.
 */
export async function sessionsEnded(userId: string): Promise<void> {
  forgetSessionsOf(userId);
  await Promise.all([announceSessionsEnded(userId), endPusherConnectionsOf(userId)]);
}

/** Drops this instance's remembered lookups of the user's sessions, so their revocation counts here at once. */
function forgetSessionsOf(userId: string): void {
  const entries = cache();
  // A lookup still in flight may be the user's: forgetting it costs one query.
  for (const [id, entry] of entries) if (entry.userId === undefined || entry.userId === userId) entries.delete(id);
}

// Every instance that hears the announcement forgets too (before its streams re-check), so a
// client whose stream just ended cannot reconnect there on a cached lookup.
onSessionsEnded('session-cache', forgetSessionsOf);
