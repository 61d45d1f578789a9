import { AppError } from '@/lib/errors/app-error';
import { assertStorableText } from '@/lib/schemas/common';

/**
 * Request bytes and percent-encoding to text, strictly: what is not UTF-8, or does not
 * percent-decode to UTF-8, is a 400 here, where lenient decoders would turn it into U+FFFD and
 * let it reach a handler (or the database) as something the client never sent.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body's bytes as text.
 * @throws AppError `invalid_input` for bytes that are not UTF-8 (overlong forms, encoded
 *   surrogates and truncated sequences included).
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new AppError('invalid_input', 'Invalid body: is not valid UTF-8');
  }
}

function decodeComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * `application/x-www-form-urlencoded` text (a body or a query string without its `?`) as an
 * object, the last value winning for a repeated name, as `Object.fromEntries(URLSearchParams)`.
 * @throws AppError `invalid_input` naming the field whose name or value is not percent-encoded
 *   UTF-8, or holds text PostgreSQL cannot store.
 */
export function parseUrlEncoded(text: string, where: 'query' | 'body'): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    if (name === undefined) throw new AppError('invalid_input', `Invalid ${where}: a name is not valid percent-encoded UTF-8`);
    const value = decodeComponent(eq < 0 ? '' : part.slice(eq + 1));
    const shown = /^[\w.-]{1,64}$/.test(name) ? name : 'a field';
    if (value === undefined) throw new AppError('invalid_input', `Invalid ${where}: ${shown}: is not valid percent-encoded UTF-8`);
    Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  }
  assertStorableText(fields, `Invalid ${where}`);
  return fields;
}

/**
 * For handlers withRoute does not wrap (NextAuth's): refuses a query string or a form/JSON body
 * that is not UTF-8 or holds text PostgreSQL cannot store, without consuming the request's body.
 * @throws AppError `invalid_input` naming the field.
 */
export async function assertStorableRequest(req: Request): Promise<void> {
  parseUrlEncoded(new URL(req.url).search.slice(1), 'query');
  if (req.method === 'GET' || req.method === 'HEAD' || !req.body) return;
  const text = decodeUtf8(new Uint8Array(await req.clone().arrayBuffer()));
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return; // Not JSON: the handler answers that itself.
    }
    assertStorableText(body, 'Invalid body');
  } else if (type === 'application/x-www-form-urlencoded') {
    parseUrlEncoded(text, 'body');
  }
}
