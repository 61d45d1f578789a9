import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOCK = path.join(ROOT, '.next-build.lock');
/** Written next to BUILD_ID: the variables a build was made with, so a changed variant rebuilds. */
const STAMP = 'test-build-env.json';

/**
 * One build of the app: the directory it goes to (next.config.ts reads NEXT_DIST_DIR, at build and
 * when the server starts) and variables to build with. The default, `.next/`, is the one every test
 * starts: the browser's Pusher settings come from the server's environment at run time.
 */
export interface BuildVariant {
  distDir: string;
  env: Record<string, string>;
}

export const DEFAULT_BUILD: BuildVariant = { distDir: '.next', env: {} };

/** The variables a server started on `variant` needs so that Next serves that build. */
export function buildEnv(variant: BuildVariant): Record<string, string> {
  return { NEXT_DIST_DIR: variant.distDir, ...variant.env };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(variant: BuildVariant): boolean {
  const buildId = path.join(ROOT, variant.distDir, 'BUILD_ID');
  if (!fs.existsSync(buildId)) return false;
  const stamp = path.join(ROOT, variant.distDir, STAMP);
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== JSON.stringify(variant.env)) return false;
  const inputs = [path.join(ROOT, 'src'), path.join(ROOT, 'drizzle')].map(newestMtime);
  const configs = ['package-lock.json', 'next.config.ts'].map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs);
  return fs.statSync(buildId).mtimeMs > Math.max(...inputs, ...configs);
}

/**
 * Builds the app once for the suites that run it (test/helpers/app-server.ts). Test files run in parallel
 * processes, so one takes a lock directory and builds while the others wait (one lock for every
 * variant: two builds at once would only compete for the same cores); a build newer than every
 * source file, made with the same variables, is reused, so re-running tests locally does not rebuild.
 */
export async function ensureBuilt(variant: BuildVariant = DEFAULT_BUILD): Promise<void> {
  for (;;) {
    if (isFresh(variant)) return;
    try {
      fs.mkdirSync(LOCK);
    } catch {
      // Another test process is building; a lock older than 10 minutes is from a killed run.
      const lockedAt = fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - lockedAt > 600_000) fs.rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      if (!isFresh(variant)) {
        // Browser settings come only from the variant: one in the developer's shell must not leak in.
        const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NEXT_PUBLIC_')));
        execFileSync(process.execPath, [path.join(ROOT, 'node_modules/next/dist/bin/next'), 'build'], {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...inherited, ...buildEnv(variant), NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
        });
        fs.writeFileSync(path.join(ROOT, variant.distDir, STAMP), JSON.stringify(variant.env));
      }
      return;
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
