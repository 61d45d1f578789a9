import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOCK = path.join(ROOT, '.next-build.lock');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  const buildId = path.join(ROOT, '.next/BUILD_ID');
  if (!fs.existsSync(buildId)) return false;
  const inputs = [path.join(ROOT, 'src'), path.join(ROOT, 'drizzle')].map(newestMtime);
  const configs = ['package-lock.json', 'next.config.ts'].map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs);
  return fs.statSync(buildId).mtimeMs > Math.max(...inputs, ...configs);
}

/**
 * Builds the app once for the suites that run it with `next start`. Test files run in parallel
 * processes, so one takes a lock directory and builds while the others wait; a build newer than
 * every source file is reused, so re-running tests locally does not rebuild.
 */
export async function ensureBuilt(): Promise<void> {
  for (;;) {
    if (isFresh()) return;
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
      if (!isFresh()) {
        execFileSync(process.execPath, [path.join(ROOT, 'node_modules/next/dist/bin/next'), 'build'], {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
        });
      }
      return;
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
