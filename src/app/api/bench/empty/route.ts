// GET /api/bench/empty - `{}`: no session, no database, no rate limit. The read-path benchmark's
// baseline (bench/read.ts, bench/polling.ts): the cost of a Next.js route handler in this very
// build, against which GET /api/chat-messages is measured. It exists only when the benchmarks
// switch it on (BENCH_ROUTES=true); otherwise it is the same JSON 404 as any unknown path.
import { NextResponse } from 'next/server';
import { getEnv } from '@/lib/config/env';

// A handler run per request, like the API routes (a static route would be served from cache).
export const dynamic = 'force-dynamic';

export function GET(): NextResponse {
  if (!getEnv().BENCH_ROUTES) {
    return NextResponse.json({ error: { code: 'not_found', message: 'Not found' } }, { status: 404 });
  }
  return NextResponse.json({}, { headers: { 'Cache-Control': 'no-store' } });
}
