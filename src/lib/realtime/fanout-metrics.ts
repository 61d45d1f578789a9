import { processGlobal } from '@/lib/runtime/process-global';

/**
 * The hook through which the metrics module (issue 14 §6, src/lib/metrics, prom-client) observes the
 * streams and the fan-out, without this folder depending on it: the metrics side calls
 * `setFanoutMetrics` once at start; until then every call here is a no-op.
 */
export interface FanoutMetrics {
  /** An SSE stream opened (+1) or closed (-1) on this instance. */
  streamsChanged(delta: 1 | -1): void;
  /** An announcement went out (`ok`) or failed, per transport. */
  announced(transport: 'postgres' | 'redis' | 'local', ok: boolean): void;
  /** A message was written to a live stream this long after it was stored (ms). */
  delivered(commitToWriteMs: number): void;
}

const slot = processGlobal<Partial<FanoutMetrics>>('fanout.metrics');

/** Installs the metrics implementation (replacing any earlier one). */
export function setFanoutMetrics(metrics: Partial<FanoutMetrics>): void {
  slot.set(metrics);
}

/** The installed hooks, or no-ops. */
export function fanoutMetrics(): Partial<FanoutMetrics> {
  return slot.get() ?? {};
}
