// GET /api/openapi.json - the OpenAPI 3.1 document of this API (public: no session, no database)
import { NextResponse } from 'next/server';
import { getOpenApiDocument } from '@/lib/openapi/document';

// Built in memory on first request, so no rate limit: answering costs no more than a 404.
export const dynamic = 'force-dynamic';

export function GET(): NextResponse {
  return NextResponse.json(getOpenApiDocument(), { headers: { 'Cache-Control': 'public, max-age=300' } });
}
