import { NextResponse, type NextRequest } from 'next/server';
import type { z } from 'zod';
import { getSessionUserId } from '@/lib/auth/session';
import { getEnv } from '@/lib/config/env';
import { AppError, describeIssues } from '@/lib/errors/app-error';
import { clientAddress, consumeRateLimit } from '@/lib/rate-limit';
import { assertStorableText } from '@/lib/schemas/common';
import { toErrorResponse } from './errors';
import { decodeUtf8, parseUrlEncoded } from './request-text';

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

type BodyKind = 'json' | 'form';

export interface RouteSpec<Q extends z.ZodType, B extends z.ZodType, P extends z.ZodType, R extends z.ZodType> {
  /** `session`: 401 without a signed-in user; `none`: public, limited per client address. */
  auth: 'session' | 'none';
  /**
   * Rate-limit bucket; each bucket is a separate budget per user (or address). `null` only for
   * public probes that cost no more than a 404 (GET /api/health: a load balancer polls it).
   */
  limit: string | null;
  query?: Q;
  params?: P;
  body?: B;
  /** Content types the body may come in (default JSON only). */
  bodyKinds?: BodyKind[];
  /** Status of a successful plain-object result (default 200). */
  status?: number;
  /**
   * The schema of a successful plain-object result (src/lib/schemas/). Only the compiler checks
   * it (the handler must return its type), so the documented shape and the sent one cannot drift
   * without a cost per request.
   */
  response?: R;
}

export interface RouteContext<Q extends z.ZodType, B extends z.ZodType, P extends z.ZodType> {
  req: NextRequest;
  /** The signed-in user's id; '' on public routes. */
  userId: string;
  query: z.output<Q>;
  params: z.output<P>;
  body: z.output<B>;
}

type NextHandler = (req: NextRequest, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;

async function parseWith<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): Promise<z.output<S>> {
  if (!schema) return undefined as z.output<S>;
  // Before the schema, for every route: a field the schema would strip (or pass on) is refused too.
  assertStorableText(value, `Invalid ${where}`);
  const result = await schema.safeParseAsync(value);
  if (!result.success) throw new AppError('invalid_input', `Invalid ${where}: ${describeIssues(result.error.issues)}`);
  return result.data;
}

/** Reads at most MAX_BODY_BYTES of the body, stopping (413) as soon as it is exceeded; 400 unless UTF-8. */
async function readBodyText(req: NextRequest): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  const tooLarge = () => new AppError('payload_too_large', `Request body must be at most ${MAX_BODY_BYTES} bytes`);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return decodeUtf8(Buffer.concat(chunks));
}

async function readBody(req: NextRequest, kinds: BodyKind[]): Promise<unknown> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const kind: BodyKind | undefined =
    type === 'application/json' ? 'json' : type === 'application/x-www-form-urlencoded' ? 'form' : undefined;
  if (!kind || !kinds.includes(kind)) {
    const accepted = kinds.map((k) => (k === 'json' ? 'application/json' : 'application/x-www-form-urlencoded'));
    throw new AppError('unsupported_media_type', `Content-Type must be ${accepted.join(' or ')}`);
  }
  const text = await readBodyText(req);
  if (kind === 'form') return parseUrlEncoded(text, 'body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('invalid_input', 'Request body is not valid JSON');
  }
}

/**
 * Cross-site request forgery guard for state-changing requests: a browser always sends
 * `Origin` on them, and it must be this app's. Requests without `Origin` (curl, servers)
 * pass unless the browser marks them cross-site.
 */
function checkOrigin(req: NextRequest): void {
  if (req.method === 'GET' || req.method === 'HEAD') return;
  const origin = req.headers.get('origin');
  if (!origin) {
    if (req.headers.get('sec-fetch-site') === 'cross-site') throw new AppError('forbidden', 'Cross-site requests are not allowed');
    return;
  }
  const configured = getEnv().NEXTAUTH_URL;
  const allowed = new Set<string>();
  if (configured) allowed.add(new URL(configured).origin);
  const host = req.headers.get('host');
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  if (!allowed.has(origin)) throw new AppError('forbidden', "Requests must come from this app's own origin");
}

/**
 * Everything a route checks before its handler runs: session (401), same-origin check (403), rate
 * limit (429), body type, size and JSON (415/413/400), zod parsing of params, query and body (400).
 * Throws the AppError to answer with. Exported for the app's Node entry, which serves the chat
 * stream itself with exactly these checks (src/server/chat-stream.ts).
 */
export async function checkRoute<Q extends z.ZodType, B extends z.ZodType, P extends z.ZodType, R extends z.ZodType>(
  spec: RouteSpec<Q, B, P, R>,
  req: NextRequest,
  rawParams: Record<string, string | string[]>,
): Promise<RouteContext<Q, B, P>> {
  let userId = '';
  if (spec.auth === 'session') {
    userId = (await getSessionUserId(req)) ?? '';
    if (!userId) throw new AppError('unauthorized', 'Sign in first: no valid session');
  }
  checkOrigin(req);
  // Public routes (sign-up) get the small authentication budget, per client address.
  if (spec.limit === null) {
    // No budget (see RouteSpec.limit).
  } else if (userId) await consumeRateLimit(spec.limit, userId);
  else await consumeRateLimit(spec.limit, `addr:${clientAddress(req.headers)}`, getEnv().AUTH_RATE_LIMIT_POINTS);
  const params = await parseWith(spec.params, rawParams, 'path');
  // Every route, with a query schema or not, refuses a query it could not store.
  const query = await parseWith(spec.query, parseUrlEncoded(req.nextUrl.search.slice(1), 'query'), 'query');
  const body = spec.body ? await parseWith(spec.body, await readBody(req, spec.bodyKinds ?? ['json']), 'body') : undefined;
  return { req, userId, params, query, body: body as z.output<B> };
}

/**
 * Wraps a route handler: the checks of `checkRoute`, and every error mapped through the one error
 * table. The handler returns a plain object (sent as JSON) or a Response.
 */
export function withRoute<
  Q extends z.ZodType = z.ZodType<undefined>,
  B extends z.ZodType = z.ZodType<undefined>,
  P extends z.ZodType = z.ZodType<undefined>,
  R extends z.ZodType = z.ZodType<unknown>,
>(spec: RouteSpec<Q, B, P, R>, handler: (ctx: RouteContext<Q, B, P>) => Promise<z.input<R> | Response>): NextHandler {
  return async (req, routeCtx) => {
    const context = { method: req.method, path: req.nextUrl.pathname };
    try {
      const result = await handler(await checkRoute(spec, req, await routeCtx.params));
      if (result instanceof Response) return result;
      return NextResponse.json(result, { status: spec.status ?? 200, headers: { 'Cache-Control': 'no-store' } });
    } catch (err) {
      return toErrorResponse(err, context);
    }
  };
}

/** `withRoute` for signed-in users only. */
export function withSession<
  Q extends z.ZodType = z.ZodType<undefined>,
  B extends z.ZodType = z.ZodType<undefined>,
  P extends z.ZodType = z.ZodType<undefined>,
  R extends z.ZodType = z.ZodType<unknown>,
>(spec: Omit<RouteSpec<Q, B, P, R>, 'auth'>, handler: (ctx: RouteContext<Q, B, P>) => Promise<z.input<R> | Response>): NextHandler {
  return withRoute({ ...spec, auth: 'session' }, handler);
}
