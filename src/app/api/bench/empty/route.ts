// GET /api/bench/empty - `{}`: no session, no database, no rate limit. The read-path benchmark's
// baseline (bench/read.ts, bench/polling.ts): the cost of a Next.js route handler in this very
// build, against which GET /api/chat-messages is measured. Harmless: it reads and returns nothing.
import { NextResponse } from 'next/server';

// A handler run per request, like the API routes (a static route would be served from cache).
export const dynamic = 'force-dynamic';

export function GET(): NextResponse {
  return NextResponse.json({}, { headers: { 'Cache-Control': 'no-store' } });
}
