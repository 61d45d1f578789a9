import fs from 'node:fs';
import path from 'node:path';

/**
 * PGlite is single-process: two processes writing one data directory corrupt it. Each holder
 * writes its pid into `<dir>.lock`, created atomically; a lock whose process is gone is stale
 * and taken over.
 */

export class PgliteLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database at ${dir} is in use by another process (pid ${pid}). ` +
        'Stop that process (e.g. the running `npm run dev`), or set DATABASE_URL to use PostgreSQL, ' +
        'which any number of processes can share.',
    );
    this.name = 'PgliteLockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock for `dir` or throws `PgliteLockedError`; returns the release function. */
export function acquirePgliteLock(dir: string): () => void {
  const lockPath = `${path.resolve(dir)}.lock`;
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      const release = () => {
        try {
          if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(readOrEmpty(lockPath), 10);
    // A lock naming our own pid is left over from an earlier run that reused the pid
    // (containers restart at low pids); the in-process singleton prevents a real second holder.
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new PgliteLockedError(dir, holder);
    }
    fs.rmSync(lockPath, { force: true });
  }
  throw new Error(`Could not take the lock ${lockPath}`);
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
