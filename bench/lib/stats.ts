/** Latency and throughput arithmetic shared by the benchmarks. */

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The q-quantile (0..1) of sorted values, nearest-rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

export function median(values: number[]): number {
  return quantile(Float64Array.from(values).sort(), 0.5);
}

/** Fixed-precision number for tables: 3 significant digits below 100, integers above. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}

export function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}

export interface ClosedLoopResult {
  ops: number;
  errors: number;
  elapsedMs: number;
  latencies: number[];
  firstError?: string;
}

/**
 * `concurrency` workers each call `op` back to back until `durationMs` has passed: a closed
 * loop (the next call starts when the previous one ends), as senders in a worker pool behave.
 * `op` resolving to false, or throwing, counts as an error.
 */
export async function closedLoop(options: {
  concurrency: number;
  durationMs: number;
  op: (worker: number, iteration: number) => Promise<boolean | void>;
}): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        try {
          const ok = await options.op(worker, i);
          if (ok === false) {
            errors++;
            firstError ??= 'op returned false';
          } else latencies.push(performance.now() - t0);
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  return { ops: latencies.length, errors, elapsedMs: performance.now() - started, latencies, firstError };
}
