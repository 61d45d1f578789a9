import { z } from 'zod';
import { COMMON_PASSWORDS } from './common-passwords';
import { TimeZone } from './common';

/** Users: sign-up, the settings the agent books within, and the user as the API shows it. */

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 200;

/**
 * NextAuth's error code (`error=` in its redirect, `result.error` in the browser) for a sign-in
 * refused because a budget is spent; wrong credentials are `CredentialsSignin`.
 */
export const SIGN_IN_TOO_MANY_ATTEMPTS = 'TooManyAttempts';

/** The password rules in words, for the sign-up form and the API document. */
export const PASSWORD_RULES = `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters, not all whitespace, and not one of the most common passwords`;

/** True for a password among the most common ones, in any letter case. */
export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.normalize('NFKC').trim().toLowerCase());
}

/**
 * A new password (sign-up, `createUser`), checked in the browser as well. Every rule is checked
 * (no early stop), so a refusal names each one that failed.
 */
export const NewPassword = z
  .string({ message: 'is required' })
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`)
  .refine((password) => /\S/u.test(password), 'must not be only whitespace')
  .refine((password) => !isCommonPassword(password), 'is one of the most common passwords; choose another')
  .meta({ description: PASSWORD_RULES });

/** `POST /api/users` (sign-up), and `createUser`. */
export const NewUserInput = z.object({
  email: z
    .string({ message: 'is required' })
    .trim()
    .toLowerCase()
    .pipe(z.email({ message: 'must be an email address' }).max(254, 'must be at most 254 characters')),
  password: NewPassword,
  name: z.string().trim().max(100, 'must be at most 100 characters').optional(),
});
export type NewUserInput = z.input<typeof NewUserInput>;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A user's time zone and working hours (`updateUserSettings`, `npm run user:create`). */
export const UserSettingsInput = z.object({
  timeZone: TimeZone.optional(),
  workingHours: z
    .object({
      days: z.array(z.number().int().min(0).max(6)).min(1).max(7),
      start: z.string().regex(HHMM, 'must be HH:MM'),
      end: z.string().regex(HHMM, 'must be HH:MM'),
    })
    .refine((wh) => wh.start < wh.end, 'start must be before end')
    .optional(),
});
export type UserSettingsInput = z.input<typeof UserSettingsInput>;

/** A user as the API shows it: never the password hash. */
export const PublicUser = z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }).meta({ id: 'User' });
export type PublicUser = z.infer<typeof PublicUser>;

export const SignUpResponse = z.object({ user: PublicUser });

/** A password typed to confirm who is asking (not checked against the policy: it is the one on file). */
const CurrentPassword = z
  .string({ message: 'is required' })
  .min(1, 'is required')
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);

/** `POST /api/users/me/password`: the new password follows the sign-up rules. */
export const ChangePasswordBody = z.object({ currentPassword: CurrentPassword, newPassword: NewUserInput.shape.password });
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const ChangePasswordResponse = z.object({
  ok: z.literal(true),
  /** How many other sessions of the user it ended. */
  endedSessions: z.number().int(),
});

/** `DELETE /api/users/me`: the account's password, to confirm. */
export const DeleteAccountBody = z.object({ password: CurrentPassword });

export const DeleteAccountResponse = z.object({ deleted: z.literal(true) });
