import { NextResponse } from 'next/server';
import { AppError, isDatabaseUnavailable } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';

/** `{ error: { code, message } }` with the status from the one table in app-error.ts. */
export function errorResponse(error: AppError): NextResponse {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  return NextResponse.json({ error: { code: error.code, message: error.message } }, { status: error.status, headers });
}

/**
 * Any thrown value as a response: AppErrors by their code, an unreachable database as 503,
 * everything else logged with its stack and answered 500 with a generic message.
 */
export function toErrorResponse(err: unknown, context: { method: string; path: string }): NextResponse {
  if (err instanceof AppError) return errorResponse(err);
  if (isDatabaseUnavailable(err)) {
    getLogger().warn({ ...context, err: err instanceof Error ? err.message : String(err) }, 'database unavailable');
    return errorResponse(new AppError('service_unavailable', 'The database is unavailable; try again shortly', { retryAfterSeconds: 5 }));
  }
  getLogger().error({ ...context, err }, 'unhandled error in route');
  return errorResponse(new AppError('internal_error', 'Something went wrong on our side'));
}
