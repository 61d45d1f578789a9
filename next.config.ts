import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // These packages load native-ish assets (PGlite's wasm, pg's optional bindings) or spawn
  // workers at run time; bundling them breaks those lookups, so Node resolves them instead
  // (undici: the CalDAV network guard's fetch, kept as Node loads it).
  serverExternalPackages: ['@electric-sql/pglite', 'pg', 'pg-boss', 'pino', 'prom-client', 'pusher', 'undici'],
  poweredByHeader: false,
  // Where `next build` writes and our server entry (which loads this file too) reads the build.
  // The tests keep a second build, made with the browser's Pusher settings, in its own directory.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // `npm run typecheck` (tsc over app, scripts and tests) is the type gate, run by CI before the
  // build; checking again inside `next build` only doubles the build time.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
