import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { AppError } from '@/lib/errors/app-error';
import { processGlobal } from '@/lib/runtime/process-global';

/**
 * Per-user (or per-address) request budgets. In memory for one instance; in PostgreSQL's
 * `rate_limits` table when DATABASE_URL is set, so all instances share one budget. If that
 * store fails, an in-memory limiter takes over rather than letting every request through.
 */

/** One limiter per bucket and budget, shared by every module instance of the process. */
const limiters = processGlobal<Map<string, Promise<RateLimiterAbstract>>>('rate-limiters');

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
  const byKey = limiters.getOrCreate(() => new Map());
  const key = `${bucket}:${points}:${duration}`;
  let limiter = byKey.get(key);
  if (!limiter) {
    limiter = createLimiter(bucket, points, duration);
    // A limiter that failed to start (database down) is built afresh on the next request.
    limiter.catch(() => byKey.delete(key));
    byKey.set(key, limiter);
  }
  return limiter;
}

/**
 * Takes one point from `subject`'s budget in `bucket` (RATE_LIMIT_POINTS per window, or `points`).
 * @throws AppError `rate_limited` with the seconds until the budget refills.
 */
export async function consumeRateLimit(bucket: string, subject: string, points?: number): Promise<void> {
  const env = getEnv();
  const limiter = await getLimiter(bucket, points ?? env.RATE_LIMIT_POINTS, env.RATE_LIMIT_WINDOW_SECONDS);
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

/**
 * The client's address for per-address budgets. A client can write any `X-Forwarded-For` it
 * likes, so the header counts only with TRUST_PROXY=true, and then only its last entry (the one
 * our own proxy appended). Otherwise every anonymous client shares the budget "direct".
 */
export function clientAddress(headers: Headers): string {
  if (!getEnv().TRUST_PROXY) return 'direct';
  const last = headers.get('x-forwarded-for')?.split(',').at(-1)?.trim();
  return last || 'direct';
}

/**
 * One sign-in attempt for `email`; false once its budget is spent. Keyed by the account alone,
 * so guessing one account's password from many (or forged) addresses is limited all the same.
 */
export async function consumeSignInAttempt(email: string): Promise<boolean> {
  const env = getEnv();
  const limiter = await getLimiter('signin', env.AUTH_RATE_LIMIT_POINTS, env.RATE_LIMIT_WINDOW_SECONDS);
  try {
    await limiter.consume(email);
    return true;
  } catch (err) {
    if (err instanceof RateLimiterRes) return false;
    throw err;
  }
}
