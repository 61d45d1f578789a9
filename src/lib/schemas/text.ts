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

/**
 * An ISO-8601 date-time with an offset (`2026-11-25T00:00:00Z`) as a Date, within years 1..9999
 * once in UTC (PostgreSQL has no year 0, and `+010000` is not ISO-8601 without an agreement).
 */
export function dateFromText(message = 'must be an ISO-8601 date-time such as 2026-11-25T00:00:00Z') {
  return z.iso
    .datetime({ offset: true, message })
    .transform((text) => new Date(text))
    .refine(isStorableInstant, 'must be within the years 0001 to 9999 (UTC)');
}

// ---- Text PostgreSQL can store ---------------------------------------------------------------
// PostgreSQL text and jsonb refuse NUL (0x00, and `\u0000` inside jsonb), and UTF-16 surrogates
// that are not paired cannot be encoded as UTF-8 at all (the driver would silently store U+FFFD,
// jsonb refuses the escape). Refused at every entry point, never left for the database to fail.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored as PostgreSQL text, or undefined when it can. */
export function unstorableTextReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (LONE_SURROGATE.test(text)) return 'must not contain unpaired UTF-16 surrogates (\\uD800-\\uDFFF)';
  return undefined;
}

/** A field at fault: its dotted path ('' for the value itself) and what is wrong with it. */
export interface TextIssue {
  path: string;
  message: string;
}

/**
 * The first string in `value` (a string, or any depth of arrays and objects: values and keys)
 * that PostgreSQL cannot store, with its path. Iterative, so a deeply nested body cannot overflow
 * the stack; objects seen twice are walked once.
 */
export function findUnstorableText(value: unknown): TextIssue | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  const seen = new Set<object>();
  const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const message = unstorableTextReason(item.value);
      if (message) return { path: item.path, message };
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null || seen.has(item.value)) continue;
    seen.add(item.value);
    const entries = Object.entries(item.value);
    // Pushed in reverse so the first field in document order is reported first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const keyReason = Array.isArray(item.value) ? undefined : unstorableTextReason(key);
      // A bad key cannot be shown (it holds the bad character): name its object instead.
      if (keyReason) return { path: item.path, message: `a key ${keyReason}` };
      stack.push({ value: child, path: join(item.path, Array.isArray(item.value) ? i : key) });
    }
  }
  return undefined;
}

/** `findUnstorableText` as one line for an error message: `field: must not contain ...`. */
export function describeTextIssue(issue: TextIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** The first and last instants PostgreSQL and ISO-8601 agree on: years 1 to 9999 (UTC). */
export const EARLIEST_INSTANT = new Date('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT = new Date('9999-12-31T23:59:59.999Z');

/** True when `date` is a valid instant within years 1..9999 UTC. */
export function isStorableInstant(date: Date): boolean {
  const t = date.getTime();
  return Number.isFinite(t) && t >= EARLIEST_INSTANT.getTime() && t <= LATEST_INSTANT.getTime();
}
