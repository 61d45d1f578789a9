import { and, eq, isNull } from 'drizzle-orm';
import { hashPassword, needsRehash, verifyDecoy, verifyPassword } from '@/lib/auth/password';
import { endSessionsOfUser, sessionsEnded } from '@/lib/auth/session-store';
import { getDb, type Db } from '@/lib/db/client';
import { users } from '@/lib/db/schema';
import { AppError, describeIssues } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { assertStorableText } from '@/lib/schemas/common';
import { findUnstorableText } from '@/lib/schemas/text';
import { ChangePasswordBody, MAX_PASSWORD_LENGTH, NewUserInput, UserSettingsInput, type PublicUser } from '@/lib/schemas/users';

/**
 * Creates a user with an argon2id-hashed password (rules: `NewPassword` in schemas/users.ts).
 * @throws AppError `invalid_input` for a bad field (text PostgreSQL cannot store included) or an
 *   email already registered.
 */
export async function createUser(input: NewUserInput): Promise<PublicUser> {
  assertStorableText(input);
  const parsed = NewUserInput.safeParse(input);
  if (!parsed.success) throw new AppError('invalid_input', describeIssues(parsed.error.issues));
  const { email, password, name } = parsed.data;
  const db = await getDb();
  const [created] = await db
    .insert(users)
    .values({ email, name: name || null, passwordHash: await hashPassword(password) })
    .onConflictDoNothing({ target: users.email })
    .returning({ id: users.id, email: users.email, name: users.name });
  if (!created) throw new AppError('invalid_input', 'email: is already registered');
  return created;
}

/**
 * The user whose email and password match, or null. Unknown emails cost as much time as wrong
 * passwords. A hash of an older format or weaker parameters is replaced once the password has
 * matched it. One object, so email and password cannot be passed in swapped order.
 */
export async function verifyCredentials({ email, password }: { email: unknown; password: unknown }): Promise<PublicUser | null> {
  if (typeof email !== 'string' || typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return null;
  // No account has such an email or password (sign-up refuses them), and scrypt would treat
  // "password\0" as "password" (HMAC pads keys with zeros).
  if (findUnstorableText([email, password])) return null;
  const db = await getDb();
  const [user] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase())).limit(1);
  if (!user) {
    await verifyDecoy(password);
    return null;
  }
  if (!(await verifyPassword(password, user.passwordHash))) return null;
  if (needsRehash(user.passwordHash)) await upgradeHash(user.id, user.passwordHash, password);
  return { id: user.id, email: user.email, name: user.name };
}

/** Replaces `oldHash` with a current one, unless the password changed meanwhile; a failure only costs the upgrade. */
async function upgradeHash(userId: string, oldHash: string, password: string): Promise<void> {
  try {
    const db = await getDb();
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(password) })
      .where(and(eq(users.id, userId), eq(users.passwordHash, oldHash)));
  } catch (err) {
    getLogger().warn({ userId, err: err instanceof Error ? err.message : String(err) }, 'password hash upgrade failed');
  }
}

/**
 * Sets the user's time zone and working hours (what the agent books within).
 * @throws AppError `invalid_input` for a bad zone or hours; `not_found` for an unknown user.
 */
export async function updateUserSettings(userId: string, input: UserSettingsInput): Promise<void> {
  const parsed = UserSettingsInput.safeParse(input);
  if (!parsed.success) throw new AppError('invalid_input', describeIssues(parsed.error.issues));
  if (!parsed.data.timeZone && !parsed.data.workingHours) return;
  const db = await getDb();
  const updated = await db.update(users).set(parsed.data).where(eq(users.id, userId)).returning({ id: users.id });
  if (updated.length === 0) throw new AppError('not_found', 'No such user');
}

/** What the scheduling agent needs to know about a user: null where the user saved nothing. */
export interface SchedulingPreferences {
  timeZone: string | null;
  workingHours: { days: number[]; start: string; end: string } | null;
}

/** The user's saved time zone and working hours; undefined for an unknown user. */
export async function getSchedulingPreferences(userId: string): Promise<SchedulingPreferences | undefined> {
  const db = await getDb();
  const [user] = await db.select({ timeZone: users.timeZone, workingHours: users.workingHours }).from(users).where(eq(users.id, userId));
  return user;
}

/** Saves `timeZone` as the user's own unless they already have one (the first zone seen wins). */
export async function saveTimeZoneIfUnset(userId: string, timeZone: string): Promise<void> {
  const db = await getDb();
  await db
    .update(users)
    .set({ timeZone })
    .where(and(eq(users.id, userId), isNull(users.timeZone)));
}

/** The user with this email (any case), or undefined. */
export async function findUserByEmail(email: string): Promise<PublicUser | undefined> {
  const db = await getDb();
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.email, email.trim().toLowerCase()));
  return user;
}

/**
 * Checks a password the signed-in user typed to confirm an action.
 * @throws AppError `forbidden` when it is not their password (or the user is gone).
 */
export async function confirmPassword(userId: string, password: string): Promise<void> {
  const db = await getDb();
  const [user] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
  if (!user || !(await verifyPassword(password, user.passwordHash))) throw new AppError('forbidden', 'password: is not correct');
}

/**
 * Sets a new password and ends every other session of the user (the one in `keepSessionId`
 * stays signed in), in one transaction.
 * @throws AppError `forbidden` for a wrong current password; `invalid_input` for a new one the rules refuse.
 */
export async function changePassword(
  input: { userId: string; keepSessionId: string } & ChangePasswordBody,
): Promise<{ endedSessions: number }> {
  const parsed = ChangePasswordBody.safeParse(input);
  if (!parsed.success) throw new AppError('invalid_input', describeIssues(parsed.error.issues));
  const db = await getDb();
  const [user] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, input.userId));
  if (!user || !(await verifyPassword(parsed.data.currentPassword, user.passwordHash))) {
    throw new AppError('forbidden', 'currentPassword: is not correct');
  }
  const passwordHash = await hashPassword(parsed.data.newPassword);
  const endedSessions = await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, input.userId));
    return endSessionsOfUser({ userId: input.userId, keep: input.keepSessionId }, tx);
  });
  await sessionsEnded(input.userId);
  return { endedSessions };
}

/** Locks the user's row for the caller's transaction and returns it (account deletion). */
export async function lockUser(tx: Pick<Db, 'select'>, userId: string): Promise<PublicUser | undefined> {
  const [user] = await tx
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.id, userId))
    .for('update');
  return user;
}

/** Deletes the user's row (account deletion, inside its transaction, after everything of theirs). */
export async function deleteUserRow(tx: Pick<Db, 'delete'>, userId: string): Promise<number> {
  const deleted = await tx.delete(users).where(eq(users.id, userId)).returning({ id: users.id });
  return deleted.length;
}
