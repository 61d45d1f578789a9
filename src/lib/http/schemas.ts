import type { z } from 'zod';
import { AppError, describeIssues } from '@/lib/errors/app-error';

/**
 * Request text to values at the HTTP edge. The rules for query strings live with the domain
 * schemas (src/lib/schemas/text.ts builds them from text, withRoute parses them); headers, which
 * withRoute does not parse, go through here.
 */

/**
 * A request header as a value; undefined when it is absent or blank.
 * @throws AppError `invalid_input` naming the header when `schema` refuses it.
 */
export function parseHeader<S extends z.ZodType<unknown, string>>(schema: S, headers: Headers, name: string): z.output<S> | undefined {
  const text = headers.get(name)?.trim();
  if (!text) return undefined;
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new AppError('invalid_input', `Invalid ${name} header: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
