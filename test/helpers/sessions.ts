import { encode } from 'next-auth/jwt';
import { getDb } from '@/lib/db/client';
import { users } from '@/lib/db/schema';
import { insertSession } from '@/lib/repositories/user-session.repository';

/**
 * A `next-auth.session-token` value for `userId`, as NextAuth issues it at sign-in: the JWT names
 * a server-side session, so the user (if missing, with a password no one can type) and a session
 * row are stored in the process-wide database (`setDatabase`) first. Saves a scrypt sign-in per user.
 */
export async function mintSessionToken(userId: string, secret: string, maxAgeSeconds = 3600): Promise<string> {
  const db = await getDb();
  const email = `${userId.toLowerCase()}@sessions.invalid`;
  await db.insert(users).values({ id: userId, email, passwordHash: '!' }).onConflictDoNothing();
  const sid = await insertSession(db, { userId, expiresAt: new Date(Date.now() + maxAgeSeconds * 1000) });
  return encode({ token: { sub: userId, sid, name: userId, email }, secret, maxAge: maxAgeSeconds });
}
