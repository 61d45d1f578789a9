import { z } from 'zod';
import { TimeZone } from './common';

/** Users: sign-up, the settings the agent books within, and the user as the API shows it. */

export const MAX_PASSWORD_LENGTH = 200;

/** `POST /api/users` (sign-up), and `createUser`. */
export const NewUserInput = z.object({
  email: z
    .string({ message: 'is required' })
    .trim()
    .toLowerCase()
    .pipe(z.email({ message: 'must be an email address' }).max(254, 'must be at most 254 characters')),
  password: z
    .string({ message: 'is required' })
    .min(8, 'must be at least 8 characters')
    .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`),
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
