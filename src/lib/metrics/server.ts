import { createServer, type Server } from 'node:http';
import { getLogger } from '@/lib/log/logger';
import { metrics } from './index';
import { bearerMatches } from './token';

/**
 * The metrics port: GET /metrics in Prometheus's text format, on METRICS_HOST (127.0.0.1 by
 * default, so only this machine can scrape unless the operator opens it). With METRICS_TOKEN
 * set, a scrape needs `Authorization: Bearer <token>` here too.
 */
export async function startMetricsServer(options: { port: number; host: string; token?: string }): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error: { code, message } }));
    };
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') return reply(404, 'not_found', 'Only GET /metrics is served here');
    if (options.token && !bearerMatches(req.headers.authorization, options.token)) {
      return reply(401, 'unauthorized', 'A bearer token is required');
    }
    metrics.scrape().then(
      ({ body, contentType }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
      (err: unknown) => {
        getLogger().error({ err: err instanceof Error ? err.message : String(err) }, 'metrics scrape failed');
        reply(503, 'service_unavailable', 'Metrics are unavailable; try again shortly');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  server.unref();
  getLogger().info({ host: options.host, port: options.port }, 'metrics listening');
  return server;
}
