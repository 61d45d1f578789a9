import autocannon from 'autocannon';

export interface HttpLoadResult {
  label: string;
  /** Successful (2xx) responses per second. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  statusCodes: Record<string, number>;
}

/**
 * autocannon against one path on loopback: `connections` keep-alive connections, one request
 * in flight each, for `seconds`. `cookie` is called per request (rotating simulated users).
 */
export async function httpLoad(options: {
  label: string;
  baseUrl: string;
  path: string;
  connections: number;
  seconds: number;
  /** Stop after this many requests instead (autocannon's `amount`). */
  amount?: number;
  cookie?: () => string;
}): Promise<HttpLoadResult> {
  const { cookie } = options;
  const result = await autocannon({
    url: options.baseUrl,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
    timeout: 30,
    requests: [
      {
        method: 'GET',
        path: options.path,
        ...(cookie ? { setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, cookie: cookie() } }) } : {}),
      },
    ],
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count ?? 0]));
  return {
    label: options.label,
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    total: result['2xx'] + result.non2xx,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    statusCodes,
  };
}
