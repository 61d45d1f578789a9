// GET /api/health - readiness (database, queue, fan-out listener: ok/fail each), 200 or 503;
// GET /api/health?probe=live - liveness, 200 while the process answers. Public, no budget.
import { NextResponse } from 'next/server';
import { withRoute } from '@/lib/http/route';
import { HealthQuery, HealthResponse } from '@/lib/schemas/health';
import * as healthService from '@/lib/services/health.service';

export const dynamic = 'force-dynamic';

export const GET = withRoute({ auth: 'none', limit: null, query: HealthQuery, response: HealthResponse }, async ({ query }) => {
  const health = query.probe === 'live' ? healthService.liveness() : await healthService.readiness();
  return NextResponse.json(health, { status: health.status === 'ok' ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
});
