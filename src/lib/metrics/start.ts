import { getEnv } from '@/lib/config/env';
import { queueStats } from '@/lib/jobs/queue-stats';
import { onShutdown } from '@/lib/runtime/shutdown';
import { metrics } from './index';
import { startMetricsServer } from './server';

/**
 * Called by each entry (web server, worker): queue gauges read from pg-boss's tables when
 * scraped, and the metrics port when METRICS_PORT is set. Run one process per METRICS_PORT:
 * a web server and a worker on one machine need different values.
 */
export async function startOperatorMetrics(): Promise<void> {
  metrics.setQueueProbe(queueStats);
  const env = getEnv();
  if (env.METRICS_PORT === undefined) return;
  const server = await startMetricsServer({ port: env.METRICS_PORT, host: env.METRICS_HOST, token: env.METRICS_TOKEN });
  onShutdown('metrics-server', 'connections', () => new Promise<void>((resolve) => server.close(() => resolve())));
}
