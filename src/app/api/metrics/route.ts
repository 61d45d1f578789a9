// GET /api/metrics - Prometheus metrics of this instance, with `Authorization: Bearer <METRICS_TOKEN>`;
// 404 when METRICS_TOKEN is unset (then scrape METRICS_PORT instead).
import { getEnv } from '@/lib/config/env';
import { AppError } from '@/lib/errors/app-error';
import { withRoute } from '@/lib/http/route';
import { metrics } from '@/lib/metrics';
import { bearerMatches } from '@/lib/metrics/token';

export const dynamic = 'force-dynamic';

// Per client address (the small authentication budget): a wrong token costs a guesser its budget.
export const GET = withRoute({ auth: 'none', limit: 'metrics' }, async ({ req }) => {
  const token = getEnv().METRICS_TOKEN;
  if (!token) throw new AppError('not_found', 'Not found');
  if (!bearerMatches(req.headers.get('authorization'), token)) throw new AppError('unauthorized', 'A bearer token is required');
  const { body, contentType } = await metrics.scrape();
  return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
});
