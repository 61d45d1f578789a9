// Over 300 lines: the environment is validated once, in one zod schema (PRODUCT.md section 2), so
// every variable and its rule stay together; the parsing helpers live in duration.ts and env-error.ts.
import { z } from 'zod';
import { clientEnvShape } from './client-env';
import { describeIssues, EnvError } from './env-error';
import { parseDuration, parseDurationRules } from './duration';
import { CHAT_MESSAGE_TYPES, type ChatMessageTypeName, type EscalatedPriority } from './message-enums';

export { EnvError } from './env-error';

/**
 * Server environment, validated once. Everything the server reads from `process.env` goes
 * through here so a bad value fails at start with the variable's name, not deep in a request.
 */

const boolFlag = z.enum(['true', 'false', '1', '0'], { message: 'must be "true" or "false"' }).transform((v) => v === 'true' || v === '1');

const positiveInt = z.coerce.number().int().positive();

/** A duration such as `15m` (units s m h d), in milliseconds. */
const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.ms;
});

/** How long messages are kept: per type, and `default` for the types not named. Nothing set = forever. */
export interface RetentionRules {
  byType: Partial<Record<ChatMessageTypeName, number>>;
  default?: number;
}

/** `SCHEDULING_UPDATE=7d,INFO=30d,default=365d` (types in any case; a bare duration is the default). */
const retentionRules = z.string().transform((text, ctx): RetentionRules => {
  const parsed = parseDurationRules(text, [...CHAT_MESSAGE_TYPES, 'default'] as const, 'default');
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: `${parsed.error} (expected e.g. SCHEDULING_UPDATE=7d,INFO=30d,default=365d)` });
    return z.NEVER;
  }
  const { default: fallback, ...byType } = parsed.rules;
  return fallback === undefined ? { byType } : { byType, default: fallback };
});

const DEFAULT_ESCALATE_AFTER_MS = 15 * 60_000;

/** `15m`, or per priority `HIGH=30m,URGENT=5m` (a bare duration sets both). */
const escalationDelays = z.string().transform((text, ctx): Record<EscalatedPriority, number> => {
  const parsed = parseDurationRules(text, ['HIGH', 'URGENT', 'default'] as const, 'default');
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: `${parsed.error} (expected e.g. 15m or HIGH=30m,URGENT=5m)` });
    return z.NEVER;
  }
  const fallback = parsed.rules.default ?? DEFAULT_ESCALATE_AFTER_MS;
  return { HIGH: parsed.rules.HIGH ?? fallback, URGENT: parsed.rules.URGENT ?? fallback };
});

/** A 32-byte key written as 64 hex digits or as base64; undefined for anything else. */
export function decodeKey(text: string): Buffer | undefined {
  const key = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, 'hex')
    : /^[A-Za-z0-9+/]{43}=?$/.test(text)
      ? Buffer.from(text, 'base64')
      : undefined;
  return key?.length === 32 ? key : undefined;
}

/** True for a time zone name that Intl knows (IANA names such as America/New_York, and UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const ServerEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    // Where our Node entry listens (src/server/index.ts), as `next start` reads them; unset HOSTNAME
    // listens on every interface.
    PORT: z.coerce.number().int().min(1).max(65535).default(3001),
    HOSTNAME: z.string().min(1).optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    PGLITE_DIR: z.string().min(1).default('.data/pglite'),
    DATABASE_POOL_SIZE: positiveInt.max(200).default(10),

    PUSHER_APP_ID: z.string().min(1).optional(),
    PUSHER_KEY: z.string().min(1).optional(),
    PUSHER_SECRET: z.string().min(1).optional(),
    PUSHER_CLUSTER: z.string().min(1).optional(),
    PUSHER_HOST: z.string().min(1).optional(),
    PUSHER_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    PUSHER_USE_TLS: boolFlag.optional(),
    PUSHER_TIMEOUT_MS: positiveInt.max(60_000).default(3000),
    // true: events also go to `private-user-{id}` (the guide's contract). false (strict): only to
    // signed-in connections, and /api/pusher/auth refuses every private-user subscription.
    PUSHER_PRIVATE_CHANNEL: boolFlag.default(true),
    // The browser's side (client-env.ts), checked here too because only the server sees both sides.
    ...clientEnvShape,

    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    NEXTAUTH_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    NEXTAUTH_URL: z.url({ message: 'must be an absolute URL such as http://localhost:3001' }).optional(),
    ALLOW_SIGNUP: boolFlag.default(true),

    // Per user and endpoint group; 300 a minute leaves room for 5-second polling from many tabs.
    RATE_LIMIT_POINTS: positiveInt.default(300),
    RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(60),
    // Signed-in request budgets are counted per instance and reconciled with PostgreSQL every
    // RATE_LIMIT_SYNC_MS, or at once when a key holds half of RATE_LIMIT_SYNC_HITS unsent hits;
    // at most instances x RATE_LIMIT_SYNC_HITS - 1 requests over a budget per window.
    RATE_LIMIT_SYNC_HITS: positiveInt.max(10_000).default(10),
    RATE_LIMIT_SYNC_MS: positiveInt.min(10).max(60_000).default(250),
    // Sign-in attempts per (account, client address) and sign-ups per client address, per window.
    AUTH_RATE_LIMIT_POINTS: positiveInt.default(20),
    // Sign-in attempts per client address whatever the email: at most this many password hashes
    // per address and window.
    AUTH_ADDRESS_RATE_LIMIT_POINTS: positiveInt.default(30),
    // Behind a reverse proxy that appends the client's address to X-Forwarded-For.
    TRUST_PROXY: boolFlag.default(false),

    // Prometheus metrics: GET /metrics on METRICS_PORT (unset: no port) bound to METRICS_HOST;
    // with METRICS_TOKEN also GET /api/metrics on the app's port, and the token is required on both.
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

    // The scheduling agent.
    DEFAULT_TIMEZONE: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').default('UTC'),
    RUN_WORKER_IN_PROCESS: boolFlag.default(false),
    WORKER_CONCURRENCY: positiveInt.max(50).default(4),
    // How often an idle worker looks for jobs it was not woken for (retries coming due, a lost
    // wake-up); a new job wakes the workers at once (src/lib/jobs/wake.ts).
    WORKER_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(0.5),
    // A job whose worker died is retried after this long (pg-boss expiration).
    AGENT_JOB_EXPIRE_SECONDS: positiveInt.max(86_400).default(300),
    AGENT_MAINTENANCE_INTERVAL_SECONDS: positiveInt.max(3_600).default(30),
    // Pause before each step of a task; 0 in production, raised by the crash tests to land mid-task.
    AGENT_STEP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),

    // SSE stream: a comment line this often keeps proxies from closing an idle stream and lets the
    // server notice a vanished client; tests set it short.
    SSE_HEARTBEAT_MS: positiveInt.min(100).max(300_000).default(15_000),
    // Open SSE streams per user on one instance (tabs plus reconnect overlap); more get 429.
    SSE_MAX_STREAMS_PER_USER: positiveInt.max(1_000).default(10),
    // Safety net: each open SSE stream re-checks its session this often, in case the fan-out's
    // "sessions ended" announcement was lost (README, "Access given up ends live delivery").
    SSE_SESSION_RECHECK_MS: positiveInt.min(1_000).max(600_000).default(60_000),

    // Attachments: embedded in the database unless S3_BUCKET names an S3-compatible bucket.
    S3_BUCKET: z.string().min(3).max(63).optional(),
    S3_ENDPOINT: z.url({ message: 'must be an absolute URL such as http://127.0.0.1:9000' }).optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    // Path-style URLs (http://host/bucket/key), as MinIO, s3rver and most self-hosted stores need.
    S3_FORCE_PATH_STYLE: boolFlag.optional(),
    // How long a presigned download URL stays valid.
    S3_PRESIGN_SECONDS: positiveInt.max(3_600).default(60),

    // How long a client shows an agent activity that was not refreshed: `10s`, `1500ms`, `1m`, or seconds.
    ACTIVITY_TTL: z
      .string()
      .regex(/^\d{1,7}(ms|s|m)?$/, 'must be a duration such as 10s, 1500ms or 1m')
      .transform((v) => {
        const n = Number.parseInt(v, 10);
        return v.endsWith('ms') ? n : v.endsWith('m') ? n * 60_000 : n * 1000;
      })
      .pipe(z.number().int().min(500, 'must be at least 500ms').max(600_000, 'must be at most 10m'))
      .default(10_000),

    // Cross-instance fan-out of "something changed for user X" (src/lib/realtime/fanout.ts):
    // PostgreSQL LISTEN/NOTIFY, or Redis pub/sub for many instances (needs REDIS_URL).
    FANOUT: z.enum(['postgres', 'redis']).default('postgres'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    // Retention per message type (README "Retention"): unset keeps every message forever.
    CHAT_RETENTION: retentionRules.optional(),
    // How often the recurring purge job runs, and how many rows one DELETE removes at most.
    CHAT_RETENTION_INTERVAL: duration.default(10 * 60_000),
    CHAT_RETENTION_BATCH_SIZE: positiveInt.max(50_000).default(1_000),

    // Escalation of HIGH and URGENT messages left unread (README "Priority and escalation").
    ESCALATE_AFTER: escalationDelays.default({ HIGH: DEFAULT_ESCALATE_AFTER_MS, URGENT: DEFAULT_ESCALATE_AFTER_MS }),
    ESCALATION_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional(),
    ESCALATION_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    ESCALATION_WEBHOOK_TIMEOUT_MS: positiveInt.max(120_000).default(10_000),

    // Turns on the benchmark-only routes (GET /api/bench/empty); `npm run bench` sets it.
    BENCH_ROUTES: boolFlag.default(false),

    // Encrypts CalDAV credentials at rest (AES-256-GCM): 32 random bytes, base64 or hex
    // (`openssl rand -base64 32`). Unset: PUT /api/calendar/connection answers 503 and stored
    // connections are not used (the built-in calendar still works).
    CALENDAR_ENCRYPTION_KEY: z
      .string()
      .refine((v) => decodeKey(v) !== undefined, 'must be 32 bytes as base64 (44 characters) or hex (64 characters)')
      .optional(),
    // How long one CalDAV request may take before the calendar counts as unreachable.
    CALDAV_TIMEOUT_MS: positiveInt.max(120_000).default(10_000),
    // The server fetches user-supplied CalDAV URLs; loopback, private, link-local, CGNAT, multicast
    // and unspecified addresses are refused unless this is true (a CalDAV server on the LAN).
    CALDAV_ALLOW_PRIVATE_NETWORKS: boolFlag.default(false),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.NEXTAUTH_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['NEXTAUTH_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    if (env.FANOUT === 'redis' && !env.REDIS_URL) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'is required when FANOUT=redis (e.g. redis://127.0.0.1:6379)' });
    }
    if (env.ESCALATION_WEBHOOK_URL && !env.ESCALATION_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['ESCALATION_WEBHOOK_SECRET'],
        message: 'is required when ESCALATION_WEBHOOK_URL is set (it signs every delivery)',
      });
    }
    for (const issue of browserPusherIssues(env)) ctx.addIssue({ code: 'custom', ...issue });
    if (!env.S3_BUCKET) {
      for (const name of ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
        if (env[name])
          ctx.addIssue({ code: 'custom', path: [name], message: 'is set but S3_BUCKET is not (attachments would stay in the database)' });
      }
    }
    if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
      const missing = env.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required together with the other S3 credential' });
    }
  });

/**
 * The browser's Pusher (NEXT_PUBLIC_PUSHER_*) against the server's (PUSHER_*): a browser that
 * subscribes where the server does not publish would wait on a silent channel, or on Pusher's
 * cloud while the server talks to a self-hosted server, so a mismatch stops the start.
 */
function browserPusherIssues(env: {
  PUSHER_APP_ID?: string;
  PUSHER_KEY?: string;
  PUSHER_SECRET?: string;
  PUSHER_CLUSTER?: string;
  PUSHER_HOST?: string;
  NEXT_PUBLIC_PUSHER_KEY?: string;
  NEXT_PUBLIC_PUSHER_HOST?: string;
  NEXT_PUBLIC_PUSHER_PORT?: number;
  NEXT_PUBLIC_PUSHER_USE_TLS?: boolean;
}): Array<{ path: string[]; message: string }> {
  const issues: Array<{ path: string[]; message: string }> = [];
  const browserKey = env.NEXT_PUBLIC_PUSHER_KEY;
  if (!browserKey) {
    const stray = (['NEXT_PUBLIC_PUSHER_HOST', 'NEXT_PUBLIC_PUSHER_PORT', 'NEXT_PUBLIC_PUSHER_USE_TLS'] as const).filter(
      (name) => env[name] !== undefined,
    );
    for (const name of stray)
      issues.push({ path: [name], message: 'is set but NEXT_PUBLIC_PUSHER_KEY is not (the browser would not use Pusher)' });
    return issues;
  }
  const missing = (['PUSHER_APP_ID', 'PUSHER_KEY', 'PUSHER_SECRET', 'PUSHER_CLUSTER'] as const).filter((name) => !env[name]);
  if (missing.length > 0) {
    issues.push({
      path: ['NEXT_PUBLIC_PUSHER_KEY'],
      message: `is set, so the browser subscribes to Pusher, but the server cannot publish there: set ${missing.join(', ')} (or unset NEXT_PUBLIC_PUSHER_KEY)`,
    });
  }
  if (env.PUSHER_KEY && browserKey !== env.PUSHER_KEY) {
    issues.push({ path: ['NEXT_PUBLIC_PUSHER_KEY'], message: 'must equal PUSHER_KEY (the browser and the server use one Pusher app)' });
  }
  if (env.PUSHER_HOST && !env.NEXT_PUBLIC_PUSHER_HOST) {
    issues.push({
      path: ['NEXT_PUBLIC_PUSHER_HOST'],
      message: `is required when PUSHER_HOST is set (the browser would connect to Pusher's cloud); the host browsers reach ${env.PUSHER_HOST} by`,
    });
  }
  if (!env.PUSHER_HOST && env.NEXT_PUBLIC_PUSHER_HOST) {
    issues.push({
      path: ['PUSHER_HOST'],
      message: `is required when NEXT_PUBLIC_PUSHER_HOST is set (the server would publish to Pusher's cloud)`,
    });
  }
  return issues;
}

export type ServerEnv = z.infer<typeof ServerEnvSchema> & { isPusherConfigured: boolean };

/**
 * Validates an environment object. Empty strings count as unset, as `.env` files
 * often carry `PUSHER_KEY=` lines for variables the operator does not use.
 */
export function parseEnv(source: Record<string, string | undefined>): ServerEnv {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = ServerEnvSchema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(`Invalid environment variables:\n${describeIssues(result.error.issues)}`);
  }
  const env = result.data;
  const pusherVars = [env.PUSHER_APP_ID, env.PUSHER_KEY, env.PUSHER_SECRET, env.PUSHER_CLUSTER];
  return { ...env, isPusherConfigured: pusherVars.every((v) => v !== undefined) };
}

let cached: ServerEnv | undefined;

/** The process environment, validated on first use and then cached. */
export function getEnv(): ServerEnv {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Forgets the cached environment so the next `getEnv()` re-reads `process.env` (tests, CLIs). */
export function resetEnvCache(): void {
  cached = undefined;
}
