import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { AppError } from '@/lib/errors/app-error';

/**
 * Per-user (or per-address) request budgets. In memory for one instance; in PostgreSQL's
 * `rate_limits` table when DATABASE_URL is set, so all instances share one budget. If that
 * store fails, an in-memory limiter takes over rather than letting every request through.
 */

const globalForLimits = globalThis as unknown as { __chatLimiters?: Map<string, Promise<RateLimiterAbstract>> };

async function createLimiter(bucket: string, points: number, duration: number): Promise<RateLimiterAbstract> {
  const memory = new RateLimiterMemory({ keyPrefix: bucket, points, duration });
  const database = await getDatabase();
  if (database.kind !== 'postgres') return memory;
  return new RateLimiterPostgres({
    storeClient: database.pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    tableCreated: true,
    keyPrefix: bucket,
    points,
    duration,
    insuranceLimiter: memory,
  });
}

function getLimiter(bucket: string, points: number, duration: number): Promise<RateLimiterAbstract> {
  globalForLimits.__chatLimiters ??= new Map();
  const key = `${bucket}:${points}:${duration}`;
  let limiter = globalForLimits.__chatLimiters.get(key);
  if (!limiter) {
    limiter = createLimiter(bucket, points, duration);
    limiter.catch(() => globalForLimits.__chatLimiters?.delete(key));
    globalForLimits.__chatLimiters.set(key, limiter);
  }
  return limiter;
}

/**
 * Takes one point from `subject`'s budget in `bucket`.
 * @throws AppError `rate_limited` with the seconds until the budget refills.
 */
export async function consumeRateLimit(bucket: string, subject: string): Promise<void> {
  const env = getEnv();
  const limiter = await getLimiter(bucket, env.RATE_LIMIT_POINTS, env.RATE_LIMIT_WINDOW_SECONDS);
  try {
    await limiter.consume(subject);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      const retryAfterSeconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new AppError('rate_limited', `Too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    throw err;
  }
}

/** The client's address as the proxy reports it, or "direct". */
export function clientAddress(headers: Headers | Record<string, unknown>): string {
  const raw = headers instanceof Headers ? headers.get('x-forwarded-for') : headers['x-forwarded-for'];
  const first = typeof raw === 'string' ? raw.split(',')[0]?.trim() : undefined;
  return first || 'direct';
}

/** One sign-in or sign-up attempt for `subject` (an email or address); false once the budget is spent. */
export async function consumeAuthAttempt(subject: string, headers: Headers | Record<string, unknown>): Promise<boolean> {
  const env = getEnv();
  const limiter = await getLimiter('auth', env.AUTH_RATE_LIMIT_POINTS, env.RATE_LIMIT_WINDOW_SECONDS);
  try {
    await limiter.consume(`${subject}|${clientAddress(headers)}`);
    return true;
  } catch (err) {
    if (err instanceof RateLimiterRes) return false;
    throw err;
  }
}
