/**
 * Capped exponential backoff, the one used by every reconnecting part: the server's LISTEN
 * connection and the browser's transports. Pure (no imports, no timers), so it runs in both.
 */
export interface BackoffOptions {
  /** The first delay. */
  minMs: number;
  /** No delay exceeds this. */
  maxMs: number;
  /**
   * Spread each delay over [half, whole] of its value, so that many clients or instances that
   * lost their connection together do not all come back at the same instant.
   */
  jitter?: boolean;
  /** Random source in [0, 1) for the jitter (tests pass a fixed one). */
  random?: () => number;
}

/** The delay before attempt `attempt` (0 for the first retry): `minMs * 2^attempt`, capped at `maxMs`. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const base = Math.min(options.maxMs, options.minMs * 2 ** attempt);
  if (!options.jitter) return base;
  const random = options.random ?? Math.random;
  return Math.round(base / 2 + (random() * base) / 2);
}

/** A backoff that counts its own attempts: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  private attempts = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** Failures since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The delay to wait before the next try; each call counts one more failure. */
  next(): number {
    return backoffDelay(this.attempts++, this.options);
  }

  reset(): void {
    this.attempts = 0;
  }
}
