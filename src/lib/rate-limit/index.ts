import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { AppError, rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { metrics } from '@/lib/metrics';
import { processGlobal } from '@/lib/runtime/process-global';
import { CLIENT_ADDRESS_HEADER } from './client-address-header';
import { LocalFirstLimiter, postgresBudgetStore } from './local-first';

/**
 * Per-user (or per-address) request budgets. In memory for one instance; in PostgreSQL's
 * `rate_limits` table when DATABASE_URL is set, so all instances share one budget. If that
 * store fails, an in-memory limiter takes over rather than letting every request through.
 *
 * Two kinds on PostgreSQL: the signed-in request budgets (LOCAL_FIRST_BUCKETS) are counted in
 * the process and reconciled in batches (local-first.ts: no round trip per request; at most
 * instances x RATE_LIMIT_SYNC_HITS - 1 hits over a budget per window). Every other budget
 * (sign-in, sign-up, password checks, anything per client address) stays strict: one
 * synchronous upsert per attempt, so a password guesser never gets extra tries.
 */

/** Budgets of signed-in users' ordinary requests: counted locally first. */
export const LOCAL_FIRST_BUCKETS: ReadonlySet<string> = new Set(['read', 'write', 'tasks', 'task-list', 'stream', 'pusher-auth']);

/** Consumes a point of a key; rejects with rate-limiter-flexible's RateLimiterRes when spent. */
type Limiter = Pick<RateLimiterAbstract, 'consume'>;

/** One limiter per bucket and budget, shared by every module instance of the process. */
const limiters = processGlobal<Map<string, Promise<Limiter>>>('rate-limiters');

/** Length of `rate_limits.key`, which holds `<bucket>:<subject>`. */
const MAX_STORED_KEY_LENGTH = 255;

async function createLimiter(bucket: string, points: number, duration: number): Promise<Limiter> {
  const memory = new RateLimiterMemory({ keyPrefix: bucket, points, duration });
  const database = await getDatabase();
  if (database.kind !== 'postgres') return memory;
  if (LOCAL_FIRST_BUCKETS.has(bucket)) {
    const env = getEnv();
    const local = new LocalFirstLimiter({
      store: postgresBudgetStore(database.pool),
      points,
      durationMs: duration * 1000,
      syncHits: env.RATE_LIMIT_SYNC_HITS,
      syncMs: env.RATE_LIMIT_SYNC_MS,
      onSyncError: (err) => getLogger().warn({ bucket, err: rootCauseMessage(err) }, 'rate-limit sync failed; counting locally'),
    });
    return {
      // Local-first buckets are signed-in routes' only: the subject is the user's id.
      async consume(subject: string) {
        const verdict = await local.consume(`${bucket}:${subject}`, subject);
        if (!verdict.ok) throw new RateLimiterRes(0, verdict.msBeforeNext);
        return new RateLimiterRes();
      },
    };
  }
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

function getLimiter(bucket: string, points: number, duration: number): Promise<Limiter> {
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
 * The subject as stored: itself when `<bucket>:<subject>` fits the key column, else its SHA-256.
 * A key that did not fit made PostgreSQL refuse the row, and the per-instance insurance limiter
 * silently took over: each instance then granted the whole budget again.
 */
export function storedSubject(bucket: string, subject: string): string {
  // JS counts UTF-16 units, never fewer than PostgreSQL's characters, so this errs on the safe side.
  if (bucket.length + 1 + subject.length <= MAX_STORED_KEY_LENGTH) return subject;
  return `sha256:${createHash('sha256').update(subject).digest('hex')}`;
}

/** Takes one point; false once the budget is spent (with the seconds until it refills). */
async function take(bucket: string, subject: string, points: number): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }> {
  const limiter = await getLimiter(bucket, points, getEnv().RATE_LIMIT_WINDOW_SECONDS);
  try {
    await limiter.consume(storedSubject(bucket, subject));
    return { ok: true };
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      metrics.rateLimitRefused(bucket);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
    }
    throw err;
  }
}

/**
 * Takes one point from `subject`'s budget in `bucket` (RATE_LIMIT_POINTS per window, or `points`).
 * @throws AppError `rate_limited` with the seconds until the budget refills.
 */
export async function consumeRateLimit(bucket: string, subject: string, points?: number): Promise<void> {
  const result = await take(bucket, subject, points ?? getEnv().RATE_LIMIT_POINTS);
  if (!result.ok) {
    const { retryAfterSeconds } = result;
    throw new AppError('rate_limited', `Too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

/** An IPv6 address's /64 network, written out in full: one subscriber usually holds a whole /64. */
function ipv6Network(address: string): string {
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

type HeaderSource = Headers | Record<string, unknown> | undefined;

/**
 * The client's address for per-address budgets, from the header our Node entry sets on every
 * request (src/server/client-address.ts: the socket's address, or with TRUST_PROXY=true the last
 * X-Forwarded-For entry; a client's own value is always overwritten). IPv6 clients are keyed by
 * their /64. Without the header (the app served some other way) every client shares "unknown".
 */
export function clientAddress(headers: HeaderSource): string {
  const raw = headers instanceof Headers ? headers.get(CLIENT_ADDRESS_HEADER) : headers?.[CLIENT_ADDRESS_HEADER];
  const address = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!address) return 'unknown';
  // Addresses with an embedded IPv4 part (other than ::ffff:, which the entry unwraps) are rare: keep them whole.
  return isIPv6(address) && !address.includes('.') ? ipv6Network(address) : address;
}

/**
 * One sign-in attempt for `email` from `address`, taken BEFORE any password is hashed; false
 * once a budget is spent. Two budgets: per address (AUTH_ADDRESS_RATE_LIMIT_POINTS, whatever the
 * email, so a flood of made-up emails costs at most that many hashes per address) and per
 * (account, address) (AUTH_RATE_LIMIT_POINTS), so guessing one account's password from one
 * address never refuses its owner at another.
 */
export async function consumeSignInAttempt(email: string, address: string): Promise<boolean> {
  const env = getEnv();
  if (!(await take('signin-address', address, env.AUTH_ADDRESS_RATE_LIMIT_POINTS)).ok) return false;
  // The address first: it is a fixed shape, and the email (any text) cannot run into it.
  return (await take('signin', `${address} ${email}`, env.AUTH_RATE_LIMIT_POINTS)).ok;
}
