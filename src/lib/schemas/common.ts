import { z } from 'zod';
import { isTimeZone } from '../config/env';
import { AppError, ERROR_STATUS, type ErrorCode } from '../errors/app-error';
import { describeTextIssue, findUnstorableText, unstorableTextReason } from './text';

/**
 * Rules shared by every domain's schemas. This folder is imported by the server and (as types)
 * by the browser, so it holds zod and pure functions only: no database, no `process.env`.
 * Relative imports: drizzle-kit loads the db schema, which takes its enums from here, without
 * the `@/` alias.
 */

/** Longest id, task id, user id or idempotency key we accept (MySQL-era varchar(191) habit kept by the guide's users). */
export const MAX_ID_LENGTH = 191;

/** Any id we accept: a message id, task id, user id, org id or idempotency key. */
export const Id = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
  .superRefine((id, ctx) => {
    const reason = unstorableTextReason(id);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  });

/**
 * The rule every entry point applies to what it is given (HTTP routes through withRoute, the
 * services that CLIs and workers call directly): no string anywhere in `value`, key or value,
 * holds text PostgreSQL cannot store (NUL, unpaired surrogates).
 * @throws AppError `invalid_input` naming the field, prefixed by `where` (e.g. "Invalid body").
 */
export function assertStorableText(value: unknown, where?: string): void {
  const issue = findUnstorableText(value);
  if (!issue) return;
  const detail = describeTextIssue(issue);
  throw new AppError('invalid_input', where ? `${where}: ${detail}` : detail);
}

/** An IANA time zone name such as Europe/Berlin (or UTC). */
export const TimeZone = z
  .string({ message: 'must be an IANA time zone such as Europe/Berlin' })
  .max(64, 'must be an IANA time zone such as Europe/Berlin')
  .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin')
  .meta({ description: 'IANA time zone name', example: 'Europe/Berlin' });

/** An instant as the API sends it: ISO-8601 in UTC (`Date#toISOString`). */
export const Instant = z.iso.datetime().meta({ example: '2026-11-25T09:30:00.000Z' });

/** A plain JSON object (what `data` holds). */
export const JsonRecord = z.record(z.string(), z.unknown());

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** Every refused request: `{ error: { code, message } }`, its status from the one table in app-error.ts. */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorResponse = z.infer<typeof ErrorResponse>;
