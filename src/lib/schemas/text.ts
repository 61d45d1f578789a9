import { z } from 'zod';

/**
 * Text to values: query strings and headers arrive as strings, the domain schemas state the rule
 * for the value. Here rather than in http/, because the domain schemas build on these and http/
 * (through auth and the services) builds on the domain schemas: folders import one way only.
 */

const DIGITS = /^\d{1,16}$/;

/**
 * Decimal digits as an integer, then checked by `value`. Anything else ("1.5", "-1", "1e3", "")
 * becomes NaN, so `value` refuses it with its own message: each rule keeps one message whether
 * it arrives as JSON or as text.
 */
export function intFromText<S extends z.ZodType<number, number>>(value: S) {
  return z
    .string()
    .transform((text) => (DIGITS.test(text) ? Number(text) : Number.NaN))
    .pipe(value)
    .meta({
      // Documented (OpenAPI) as the integer it becomes, with the bounds `value` sets.
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        const { $schema: _dialect, ...asInteger } = z.toJSONSchema(value, { io: 'input' });
        for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
        Object.assign(jsonSchema, asInteger);
      },
    });
}

/** An ISO-8601 date-time with an offset (`2026-11-25T00:00:00Z`) as a Date. */
export function dateFromText(message = 'must be an ISO-8601 date-time such as 2026-11-25T00:00:00Z') {
  return z.iso.datetime({ offset: true, message }).transform((text) => new Date(text));
}
